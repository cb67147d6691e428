"""GridLAB-D model files (``.glm``): syntax only, from text to plain objects with line numbers.

Handles what GridLAB-D's loader accepts in feeder files: ``//`` and ``/* */`` comments, ``#set``,
``#define`` with ``${NAME}`` substitution, ``#include "file"``, ``clock {...}``, ``module name;`` and
``module name {...}``, ``object class[:id] {...}`` with nested objects (a nested object's parent is the
enclosing one), ``class`` and ``schedule`` blocks (kept aside, never interpreted). Every syntax error
names the file and line. Meaning (units, references, physics) is :mod:`evcore.io._glm_build`'s job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ._text import read_text, where

__all__ = ["GlmObject", "GlmModel", "parse_glm", "MAX_INCLUDE_DEPTH"]

#: ``#include`` nesting allowed before the reader assumes a cycle.
MAX_INCLUDE_DEPTH = 16


@dataclass
class GlmObject:
    """One ``object`` block: class, optional numeric id, properties with the line each was set on."""

    cls: str
    id: int | None
    line: int
    source: str
    props: dict = field(default_factory=dict)  # name -> (value text, line)
    nested_parent: "GlmObject | None" = None

    @property
    def where(self) -> str:
        return where(self.source, self.line)

    @property
    def name(self) -> str | None:
        value = self.props.get("name")
        return value[0] if value else None

    @property
    def label(self) -> str:
        """``name`` when given, else GridLAB-D's own ``class:id`` name."""
        return self.name or (f"{self.cls}:{self.id}" if self.id is not None else f"{self.cls} (unnamed)")


@dataclass
class GlmModel:
    """Everything a ``.glm`` file declares, in file order."""

    source: str
    objects: list = field(default_factory=list)
    modules: dict = field(default_factory=dict)  # module name -> {prop: (value, line)}
    globals: dict = field(default_factory=dict)  # #set / #define name -> (value, line)
    clock: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)  # (kind, name, where) of blocks and directives not interpreted


class _Tokens:
    """Tokens of the comment-free text, each with its source and line."""

    def __init__(self, items):
        self.items = items
        self.pos = 0

    def peek(self):
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self, what):
        try:
            tok = self.items[self.pos]
        except IndexError:
            last = self.items[-1] if self.items else ("", "", "input", 1)
            raise InputError(where(last[2], last[3]),
                             f"the file ends inside {what} (truncated or a missing '}}'?)") from None
        self.pos += 1
        return tok


_COMMENT = re.compile(r"""('[^'\n]*'|"[^"\n]*")|//[^\n]*|/\*(.*?)(\*/|\Z)""", re.S)


def _strip_comments(text, source):
    """Remove ``//`` and ``/* */`` comments outside quotes, keeping line breaks (line numbers stay right)."""
    if "/" not in text:
        return text

    def repl(m):
        if m.group(1) is not None:
            return m.group(1)
        if m.group(3) is not None:
            if not m.group(3):
                line = text.count("\n", 0, m.start()) + 1
                raise InputError(where(source, line), "a '/*' comment is never closed")
            return "\n" * m.group(2).count("\n")
        return ""

    return _COMMENT.sub(repl, text)


def _substitute(value, defines, source, line):
    def repl(m):
        key = m.group(1)
        if key not in defines:
            raise InputError(where(source, line), f"${{{key}}} is not defined (#define or #set it first)")
        return defines[key][0]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_:.]*)\}", repl, value)


_TOKENS = re.compile(r"""[{};]|'[^'\n]*'|"[^"\n]*"|[^\s{};'"]+|['"]""")


def _tokenize(path, model, defines, depth, seen):
    """Tokens ``(kind, text, source, line)`` of ``path`` with directives applied (``#include`` expanded in place)."""
    source = str(path)
    if depth > MAX_INCLUDE_DEPTH:
        raise InputError(source, f"#include nested deeper than {MAX_INCLUDE_DEPTH} (a cycle?)")
    text = _strip_comments(read_text(path, what="GridLAB-D model file", origin=(
        "GridLAB-D models: GridLAB-D's own test files and the PNNL taxonomy feeders, github.com/gridlab-d")), source)
    included = {}
    if "#" in text or "${" in text:
        lines = text.split("\n")
        for number, raw in enumerate(lines, start=1):
            stripped = raw.lstrip()
            if stripped.startswith("#"):
                extra = []
                _directive(stripped.rstrip(), path, number, model, defines, depth, seen, extra)
                if extra:
                    included[number] = extra
                lines[number - 1] = ""
            elif "${" in raw:
                lines[number - 1] = _substitute(raw, defines, source, number)
        text = "\n".join(lines)
    items = []
    pending = sorted(included)
    append = items.append
    for number, line_text in enumerate(text.split("\n"), start=1):
        if pending and pending[0] <= number:
            while pending and pending[0] <= number:
                items.extend(included[pending.pop(0)])
        for tok in _TOKENS.findall(line_text):
            first = tok[0]
            if first in "{};":
                append((first, tok, source, number))
            elif first in "'\"":
                if len(tok) == 1:
                    raise InputError(where(source, number), "a quote is never closed on this line")
                append(("str", tok[1:-1], source, number))
            else:
                append(("word", tok, source, number))
    for number in pending:
        items.extend(included[number])
    return items


def _directive(line_text, path, number, model, defines, depth, seen, items):
    source = str(path)
    body = line_text[1:].strip()
    word, _, rest = body.partition(" ")
    word = word.strip().lower()
    rest = rest.strip().rstrip(";").strip()
    if word in ("set", "define"):
        name, eq, value = rest.partition("=")
        if not eq or not name.strip():
            raise InputError(where(source, number), f"#{word} needs NAME=VALUE, got {rest!r}")
        value = value.strip().strip("'\"")
        defines[name.strip()] = (value, number)
        model.globals[name.strip()] = (value, number)
        model.skipped.append((f"#{word}", name.strip(), where(source, number)))
        return
    if word == "include":
        target = rest.strip("'\"<>")
        inc = Path(target)
        if not inc.is_absolute():
            inc = Path(path).parent / inc
        key = os.path.realpath(inc)
        if key in seen:
            raise InputError(where(source, number), f"#include of {target!r} includes itself")
        items.extend(_tokenize(inc, model, defines, depth + 1, seen | {key}))
        return
    if word in ("print", "warning"):
        model.skipped.append((f"#{word}", rest[:40], where(source, number)))
        return
    raise InputError(where(source, number), f"directive #{word} is not supported by evcore's GLM reader")


# property names that cannot be part of a value (names such as 'triplex_4/0 AA' may contain spaces)
_PROPERTY_WORDS = frozenset({"name", "parent", "from", "to", "configuration", "spacing", "bustype", "phases",
                             "nominal_voltage", "length", "object"})


def _read_props(toks, what, owner=None):
    """Properties up to the closing brace; nested ``object`` blocks become children of ``owner``."""
    props = {}
    children = []
    while True:
        kind, value, source, line = toks.take(what)
        if kind == "}":
            nxt = toks.peek()
            if nxt is not None and nxt[0] == ";":
                toks.take(what)
            return props, children
        if kind == ";":
            continue
        if kind != "word":
            raise InputError(where(source, line), f"expected a property name in {what}, got {value!r}")
        if value == "object":
            child = _read_object(toks, source, line)
            children.append(child)
            continue
        parts = []
        while True:
            nk, nv, ns, nl = toks.take(f"property {value!r} of {what}")
            if nk == ";":
                break
            if nk in ("{", "}"):
                raise InputError(where(ns, nl), f"property {value!r} of {what} is missing its ';'")
            parts.append(nv)
        if not parts:
            raise InputError(where(source, line), f"property {value!r} of {what} has no value")
        if len(parts) > 1 and any(p in _PROPERTY_WORDS for p in parts[1:]):
            raise InputError(where(source, line), f"property {value!r} of {what} is {' '.join(parts)!r}: a "
                                                  "missing ';'?")
        props[value] = (" ".join(parts), line)


def _read_object(toks, source, line):
    kind, head, hs, hl = toks.take("an object header")
    if kind != "word":
        raise InputError(where(hs, hl), f"expected a class name after 'object', got {head!r}")
    cls, colon, ident = head.partition(":")
    if not cls:
        raise InputError(where(hs, hl), f"bad object header {head!r}")
    obj_id = None
    if colon and ident:
        if not re.fullmatch(r"\d+", ident):
            raise InputError(where(hs, hl), f"object id must be a non-negative integer, got {ident!r} "
                                            "(ranges such as '1..10' are not supported)")
        obj_id = int(ident)
    brace = toks.take(f"object {head}")
    if brace[0] != "{":
        raise InputError(where(brace[2], brace[3]), f"expected '{{' after 'object {head}', got {brace[1]!r}")
    obj = GlmObject(cls=cls.strip(), id=obj_id, line=hl, source=hs)
    props, children = _read_props(toks, f"object {head} (line {hl})", obj)
    obj.props = props
    for child in children:
        child.nested_parent = obj
    obj._children = children
    return obj


def _flatten(obj, out):
    out.append(obj)
    for child in getattr(obj, "_children", ()):
        _flatten(child, out)


def _skip_block(toks, what):
    depth = 1
    while depth:
        kind, _, _, _ = toks.take(what)
        depth += kind == "{"
        depth -= kind == "}"
    nxt = toks.peek()
    if nxt is not None and nxt[0] == ";":
        toks.take(what)


def parse_glm(path) -> GlmModel:
    """Parse a ``.glm`` file into a :class:`GlmModel` (syntax only; :class:`InputError` with the line)."""
    source = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    model = GlmModel(source=str(source))
    toks = _Tokens(_tokenize(path, model, {}, 0, {os.path.realpath(source)} if isinstance(source, str) else set()))
    while toks.peek() is not None:
        kind, word, src, line = toks.take("the model")
        if kind == ";":
            continue
        if kind != "word":
            raise InputError(where(src, line), f"expected 'object', 'module', 'clock', ... got {word!r}")
        key = word.lower()
        if key == "object":
            obj = _read_object(toks, src, line)
            _flatten(obj, model.objects)
        elif key == "module":
            kind2, name, s2, l2 = toks.take("a module statement")
            if kind2 != "word":
                raise InputError(where(s2, l2), f"expected a module name, got {name!r}")
            nxt = toks.take(f"module {name}")
            props = {}
            if nxt[0] == "{":
                props, children = _read_props(toks, f"module {name}")
                if children:
                    raise InputError(where(s2, l2), f"module {name} cannot contain objects")
            elif nxt[0] != ";":
                raise InputError(where(nxt[2], nxt[3]), f"expected ';' or '{{' after 'module {name}'")
            model.modules[name] = props
        elif key == "clock":
            brace = toks.take("clock")
            if brace[0] != "{":
                raise InputError(where(brace[2], brace[3]), "expected '{' after 'clock'")
            model.clock, _ = _read_props(toks, "clock")
            model.skipped.append(("clock", "clock", where(src, line)))
        elif key in ("class", "schedule"):
            kind2, name, s2, l2 = toks.take(f"a {key} statement")
            brace = toks.take(f"{key} {name}")
            if brace[0] != "{":
                raise InputError(where(brace[2], brace[3]), f"expected '{{' after '{key} {name}'")
            _skip_block(toks, f"{key} {name}")
            model.skipped.append((key, name, where(src, line)))
        else:
            raise InputError(where(src, line), f"unknown statement {word!r} (expected object, module, clock, "
                                               "class, schedule or a # directive)")
    return model
