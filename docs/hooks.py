"""MkDocs hook: typeset formulas as MathML at build time, and tidy numpydoc's RST roles.

The guide writes formulas in LaTeX (``$…$``, ``$$…$$``, kept verbatim by
``pymdownx.arithmatex``); the docstrings use the RST forms numpydoc knows
(``:math:`…```, ``.. math:: …``). Both become MathML here with ``latex2mathml``, which
browsers render natively: the site needs no JavaScript and no network, at build time or when
read. Cross-reference roles (``:func:`x```, ``:data:`x```…) keep their code text.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import latex2mathml.exceptions
from latex2mathml.converter import convert

# A warning under the "mkdocs" logger fails `mkdocs build --strict`: a formula that does not
# convert stops CI.
log = logging.getLogger("mkdocs.hooks.math")
# latex2mathml's parse errors share no base class; its exceptions module lists them all.
_LATEX_ERRORS = tuple(
    c
    for c in vars(latex2mathml.exceptions).values()
    if isinstance(c, type) and issubclass(c, Exception)
)

_ARITHMATEX_BLOCK = re.compile(r'<div class="arithmatex">\s*\\\[(.*?)\\\]\s*</div>', re.S)
_ARITHMATEX_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_RST_MATH_BLOCK = re.compile(r"<p>\.\. math::\s*([^<]*?\S[^<]*?)</p>", re.S)
# ``.. math::`` followed by an indented block: Markdown makes the block a code block.
_RST_MATH_INDENTED = re.compile(
    r"<p>\.\. math::\s*</p>\s*<div[^>]*><pre>(?:<span></span>)?<code>(.*?)</code></pre></div>", re.S
)
_TAG = re.compile(r"<[^>]+>")
_RST_MATH_INLINE = re.compile(r":math:<code>([^<]*)</code>")
_RST_ROLE = re.compile(r":(?:func|meth|class|data|attr|mod|obj|exc):(<code>)")


def _mathml(tex: str, *, display: str, page: str) -> str:
    source = html.unescape(tex).strip()
    try:
        return str(convert(source, display=display))
    except _LATEX_ERRORS as exc:
        log.warning("formula not converted on %s: %r (%s)", page, source, exc)
        return f"<code>{html.escape(source)}</code>"


def on_page_content(content: str, page: Any, **_: Any) -> str:
    """Replace every formula of a rendered page by MathML."""
    name = page.file.src_uri
    content = _ARITHMATEX_BLOCK.sub(lambda m: _mathml(m[1], display="block", page=name), content)
    content = _ARITHMATEX_INLINE.sub(lambda m: _mathml(m[1], display="inline", page=name), content)
    content = _RST_MATH_INDENTED.sub(
        lambda m: _mathml(_TAG.sub("", m[1]), display="block", page=name), content
    )
    content = _RST_MATH_BLOCK.sub(lambda m: _mathml(m[1], display="block", page=name), content)
    content = _RST_MATH_INLINE.sub(lambda m: _mathml(m[1], display="inline", page=name), content)
    return _RST_ROLE.sub(r"\1", content)
