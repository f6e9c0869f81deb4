"""Reading the TOML files crmkit is configured with: built-in tables and the user's own files."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from crmkit.errors import ConfigError, UsageError


def read_toml(name: str, *, flag: str, what: str, package: str | None = None, builtins=()) -> tuple[dict, str]:
    """A TOML file's contents and the name to report it by.

    Parameters
    ----------
    name : str
        A built-in name (one of ``builtins``, read from ``package``) or a file path.
    flag, what : str
        The option and a description for messages (``--scheme``, ``rule file``).

    Raises
    ------
    UsageError
        ``name`` is neither a built-in nor a file.
    ConfigError
        The file cannot be read or is not valid TOML (the message carries TOML's line and column).
    """
    if name in builtins:
        assert package is not None, "read_toml: built-in names need the package they are read from"
        text = resources.files(package).joinpath(f"{name}.toml").read_text(encoding="utf-8")
        source = f"{name}.toml"
    else:
        path = Path(name)
        if not path.is_file():
            if builtins:
                raise UsageError(f"{flag} must be {', '.join(builtins)} or a .toml {what}; '{name}' is neither")
            raise UsageError(f"{flag} must be a .toml {what}; '{name}' is not a file")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {what}: {exc}", file=name) from None
        source = name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=source) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", file=source) from None
    _check_depth(data, source)
    return data, source


#: Tables and arrays deeper than this are refused: no crmkit file nests more than three levels,
#: and code walking the values (messages, copies) must not hit Python's recursion limit.
MAX_DEPTH = 32


def _check_depth(data: dict, source: str) -> None:
    """ConfigError when tables or arrays nest deeper than :data:`MAX_DEPTH` (dotted keys ``a.b.c`` too)."""
    pending: list[tuple[object, int]] = [(data, 1)]
    while pending:  # a loop, not recursion: the point is to survive any depth
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= MAX_DEPTH:
                    raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", file=source)
                pending.append((child, depth + 1))
