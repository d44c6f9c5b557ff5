"""What a command can do for an EPCI with the data at hand, and what each missing file would add.

Each part of a command's output (a report section, a map layer, a table) is a
:class:`Section` that declares the sources it needs (``requires``) and those that make it
richer when present (``optional``). :func:`plan` asks the source registry once
(:func:`peuplement.sources.sources_status`) and returns a :class:`Plan`: which sections
can be built, and one :class:`Card` ("À ajouter") per missing source with its official
name, URL, expected format, the exact command line that adds it and the template that
shows its columns. Everything a reader sees here is French and comes from the registry
entries, never from hard-coded text.

Examples
--------
>>> section = SECTIONS["parc"]
>>> section.requires, section.official
(('parc_communes',), ('rpls_resultats',))
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from peuplement.sources import SOURCES, Source, SourceStatus, sources_status

__all__ = [
    "COMMAND_BASE",
    "COMMAND_OPTIONS",
    "COMMAND_SECTIONS",
    "SECTIONS",
    "SOURCE_APPORT",
    "Card",
    "Plan",
    "Section",
    "plan",
]


@dataclass(frozen=True)
class Section:
    """A part of a command's output and the sources it needs.

    Attributes
    ----------
    cle
        Stable key (``"qpv_2015"``).
    titre
        French title, as the report shows it.
    requires
        Source keys (:data:`peuplement.sources.SOURCES`) without which the section cannot
        be built.
    optional
        Source keys that add to the section when present (a card says what they add).
    official
        Official sources that the same option also accepts (the SDES results workbook
        for ``--parc``): named on the card beside the template.
    apport
        What the section shows once its sources are there, in French (on the card).
    """

    cle: str
    titre: str
    requires: tuple[str, ...]
    optional: tuple[str, ...] = ()
    official: tuple[str, ...] = ()
    apport: str = ""


_SECTION_LIST: tuple[Section, ...] = (
    Section("territoire", "Communes et population", ("cog",)),
    Section(
        "qpv_2015",
        "Quartiers prioritaires 2015 et leur population",
        ("qpv_2015",),
        optional=("insee_qpv_population",),
        apport="la population de chaque quartier (INSEE, recensement 2013)",
    ),
    Section(
        "fragilite",
        "Fragilité des quartiers dans le temps",
        ("qpv_2015", "insee_qpv_series", "series_departements", "filosofi_epci"),
        apport="taux de pauvreté, revenus et emploi des quartiers par année, indice de fragilité",
    ),
    Section(
        "qpv_2024",
        "Quartiers prioritaires 2024",
        ("qpv_2024_liste",),
        optional=("qpv_2024",),
        apport="les périmètres officiels 2024 (surface, carte)",
    ),
    Section(
        "seuils",
        "Seuils de ressources du premier quartile (arrêtés 2024 à 2026)",
        ("seuils_quartiles",),
        apport="les seuils Q1, Q2 et Q3 de l'EPCI et leur évolution",
    ),
    Section(
        "revenus",
        "Revenus des habitants (Filosofi)",
        ("filosofi_epci",),
        optional=("filosofi_communes",),
        apport="le revenu médian et le taux de pauvreté par commune et par IRIS",
    ),
    Section(
        "departement",
        "Parc social du département",
        ("series_departements",),
        apport="le parc social, la vacance et les loyers du département de 2018 à 2022",
    ),
    Section(
        "parc",
        "Parc social par commune",
        ("parc_communes",),
        official=("rpls_resultats",),
        apport="logements sociaux par commune, part du territoire, concentration, part en QPV, taux SRU",
    ),
    Section(
        "bailleurs",
        "Parc social par bailleur",
        ("parc_bailleurs",),
        apport="parts de chaque bailleur, concentration (Herfindahl)",
    ),
    Section(
        "lec",
        "Objectifs d'attribution (loi Égalité et Citoyenneté)",
        ("sne_attributions",),
        optional=("sne_demandes", "cia_engagements"),
        apport="objectifs A et B et publics prioritaires par commune, bailleur et réservataire",
    ),
)

#: Every section, by key.
SECTIONS: dict[str, Section] = {s.cle: s for s in _SECTION_LIST}

#: The sections each command builds, in the order it shows them.
COMMAND_SECTIONS: dict[str, tuple[str, ...]] = {
    "report": tuple(SECTIONS),
    "map": ("territoire", "qpv_2015", "revenus", "parc"),
    "indicators": ("territoire", "qpv_2015", "revenus", "seuils", "parc", "bailleurs"),
    "lec": ("seuils", "lec"),
}

#: The file options each command accepts (a card only offers an option its command has).
COMMAND_OPTIONS: dict[str, frozenset[str]] = {
    "report": frozenset({"--parc", "--bailleurs", "--attributions", "--demandes", "--millesime"}),
    "map": frozenset({"--parc", "--millesime"}),
    "indicators": frozenset({"--parc", "--bailleurs", "--millesime"}),
    "lec": frozenset({"--attributions", "--demandes", "--engagements"}),
}

#: What an optional source adds, when it is not what its section as a whole shows.
SOURCE_APPORT: dict[str, str] = {
    "sne_demandes": "le seuil du premier quartile calculé sur la demande de l'EPCI, à côté du seuil officiel",
    "cia_engagements": "les cibles fixées par la convention intercommunale, à la place des cibles légales",
    "filosofi_communes": "le revenu médian par commune et les IRIS les plus modestes",
    "insee_qpv_population": "la population de chaque quartier (INSEE, recensement 2013)",
    "qpv_2024": "les périmètres officiels 2024 (noms, surfaces)",
}

#: Options a command reads only beside another (the report reads attributions with a stock).
COMMAND_BASE: dict[str, str] = {
    "report": "--parc",
    "indicators": "--parc",
    "lec": "--attributions",
}


def _command_line(source: Source, command: str, epci: str) -> str:
    """Return the command line that adds ``source`` to ``command``, with the option it needs beside."""
    line = source.command_line(command, epci) or ""
    base = COMMAND_BASE.get(command)
    if base is not None and source.option != base:
        placeholder = base.lstrip("-").upper()  # --parc PARC, --attributions ATTRIBUTIONS
        line = line.replace(f" {source.option} ", f" {base} {placeholder} {source.option} ", 1)
    return line


@dataclass(frozen=True)
class Card:
    """An "À ajouter" card: a missing source, where to get it, the command that adds it.

    Attributes
    ----------
    section
        Title of the section the source would build or complete.
    apport
        What the source adds, in French.
    status
        The source and why it is missing (absent, outside the copy's coverage…).
    commande
        The exact command line that adds it.
    modele
        The command that writes an empty template of the expected file, if any.
    officielles
        Official sources that the same option accepts as published.
    """

    section: str
    apport: str
    status: SourceStatus
    commande: str
    modele: str | None = None
    officielles: tuple[str, ...] = ()

    @property
    def source(self) -> Source:
        """Return the missing source (a registry entry).

        Returns
        -------
        Source
            The source.
        """
        return self.status.source

    def lines(self) -> list[str]:
        """Return the card as French lines of plain text, for the command line.

        Returns
        -------
        list of str
            Title, source, URL, format, command, template.
        """
        s = self.source
        lines = [f"À ajouter — {self.section} : {s.nom}"]
        if self.apport:
            lines.append(f"  apporte : {self.apport}")
        lines += [
            f"  état ici : {self.status.etat} ({self.status.detail})",
            f"  source : {s.producteur} — {s.url}"
            + (" (accès restreint)" if s.acces != "ouvert" else ""),
            f"  format attendu : {s.format}",
            f"  commande : {self.commande}",
        ]
        lines += [f"  ou, fichier officiel tel que publié : {text}" for text in self.officielles]
        if self.modele:
            lines.append(f"  modèle vide avec son dictionnaire : {self.modele}")
        return lines


def _data_dir_command(source: Source, command: str, epci: str) -> str:
    """Return how a reference-data file is added: placed under ``--data-dir``, then the command."""
    target = source.fichiers[0] if source.fichiers else ""
    return (
        f"déposez le fichier sous DOSSIER/{target} puis "
        f"« peuplement {command} --epci {epci} --data-dir DOSSIER »"
    )


def _official_line(key: str, command: str, epci: str) -> str | None:
    source = SOURCES[key]
    if source.option is None or source.option not in COMMAND_OPTIONS[command]:
        return None
    line = f"{source.nom} ({source.producteur}, {source.url})"
    if key == "rpls_resultats" and "--millesime" in COMMAND_OPTIONS[command]:
        line += (
            f" : « peuplement {command} --epci {epci} --parc resultats_rpls_AAAA.xlsx "
            "--millesime AAAA »"
        )
    return line


@dataclass(frozen=True)
class Plan:
    """What a command can build for an EPCI, and the cards of what is missing.

    Attributes
    ----------
    epci
        SIREN of the EPCI.
    command
        The ``peuplement`` command (``report``, ``map``, ``indicators``, ``lec``).
    statuses
        The state of every source, by key (one call to
        :func:`peuplement.sources.sources_status`).
    """

    epci: str
    command: str
    statuses: Mapping[str, SourceStatus]

    @property
    def sections(self) -> list[Section]:
        """Return the command's sections, in order.

        Returns
        -------
        list of Section
            The sections of :data:`COMMAND_SECTIONS` for the command.
        """
        return [SECTIONS[k] for k in COMMAND_SECTIONS[self.command]]

    def has(self, source: str) -> bool:
        """Tell whether a source can be used here (present or given, and covering the EPCI).

        Parameters
        ----------
        source
            A key of :data:`peuplement.sources.SOURCES`.

        Returns
        -------
        bool
            ``True`` when it can be used.
        """
        return self.statuses[source].disponible

    def available(self, section: str) -> bool:
        """Tell whether every source a section requires is at hand.

        Parameters
        ----------
        section
            A key of :data:`SECTIONS`.

        Returns
        -------
        bool
            ``True`` when the section can be built.
        """
        return all(self.has(k) for k in SECTIONS[section].requires)

    def card(self, section: Section, key: str) -> Card:
        """Return the "À ajouter" card of source ``key`` for ``section``.

        Parameters
        ----------
        section
            The section the source builds or completes.
        key
            The missing source.

        Returns
        -------
        Card
            The card, its command line built for this plan's command and EPCI.
        """
        source = SOURCES[key]
        status = self.statuses[key]
        others = [c for c, opts in COMMAND_OPTIONS.items() if source.option in opts]
        if source.option is not None and source.option in COMMAND_OPTIONS[self.command]:
            commande = _command_line(source, self.command, self.epci)
        elif source.option is not None and others:
            # Not an option of this command: the command that takes it.
            commande = _command_line(source, others[0], self.epci)
        elif source.fichiers:
            commande = _data_dir_command(source, self.command, self.epci)
            if status.etat == "hors couverture":
                commande += (
                    " (le fichier national remplace l'extrait présent, même nom, même format)"
                )
        else:
            commande = source.prise_en_charge
        official = tuple(
            line
            for line in (_official_line(k, self.command, self.epci) for k in section.official)
            if line is not None
        )
        return Card(
            section=section.titre,
            apport=SOURCE_APPORT.get(key, section.apport),
            status=status,
            commande=commande,
            modele=f"peuplement modele {source.modele}" if source.modele else None,
            officielles=official,
        )

    def cards(self, section: str | None = None) -> list[Card]:
        """Return one card per missing source (required or optional), section by section.

        Parameters
        ----------
        section
            Only this section's cards; ``None``: every section of the command, each
            source once.

        Returns
        -------
        list of Card
            The cards, in the order of the sections.
        """
        keys = [section] if section is not None else COMMAND_SECTIONS[self.command]
        seen: set[str] = set()
        out = []
        for sec in (SECTIONS[k] for k in keys):
            for key in (*sec.requires, *sec.optional):
                if key not in seen and not self.has(key):
                    seen.add(key)
                    out.append(self.card(sec, key))
        return out


def plan(
    epci: str,
    *,
    command: str = "report",
    given: Mapping[str, str | os.PathLike[str] | None] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Plan:
    """Say what ``command`` can build for ``epci`` here, and what is missing.

    Parameters
    ----------
    epci
        SIREN of the EPCI.
    command
        ``report``, ``map``, ``indicators`` or ``lec``.
    given
        Files given on the command line, by source key (``{"parc_communes": path}``).
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    Plan
        The sources' states and the command's sections.

    Examples
    --------
    >>> p = plan("246200364", command="lec")
    >>> p.available("seuils"), p.available("lec")
    (True, False)
    >>> p.cards()[0].commande
    'peuplement lec --epci 246200364 --attributions FICHIER'
    """
    if command not in COMMAND_SECTIONS:
        from peuplement._errors import PeuplementError

        raise PeuplementError(
            f"commande « {command} » inconnue du plan ; attendu l'une de : "
            f"{', '.join(COMMAND_SECTIONS)}"
        )
    statuses = sources_status(data_dir=data_dir, epci=epci, given=given)
    return Plan(epci, command, {s.source.cle: s for s in statuses})
