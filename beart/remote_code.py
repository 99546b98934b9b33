"""Model folders that load with transformers alone: BEaRT's code, flattened, saved beside the weights.

transformers loads a custom model from its folder (`trust_remote_code=True`) by copying the module a config's
`auto_map` names, and every module it imports relatively, into one flat package. A `from .x import y` must therefore
name a file beside it, while beart's modules live in sub-packages (`from ..beatmaps.intermediate import ...`). This
module writes the modules a saved model needs as one flat folder: each file under its own name, each relative import
rewritten to the flat module that defines the name (a package's `__init__` re-export is followed to its source).

Only files in `PACKAGE_DIR` are read, none imported; the files are written with `beatmaps.files.write_atomically`.

Example:

```python
>>> model.save_pretrained("my-model")  # writes the code too
>>> # in an environment without beart:
>>> from transformers import pipeline
>>> generator = pipeline("beatmap-generation", model="my-model", trust_remote_code=True)
```
"""

import ast
import functools
import logging
import os
from pathlib import Path

from .beatmaps.files import write_atomically


logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent

# The classes a saved folder names for the Auto API, as `flat_module.Class`; one table for the config, processor and
# tokenizer files. Their modules (and what they import) are the code that is saved.
AUTO_MAP = {
    "AutoConfig": "configuration_beart.BeartConfig",
    "AutoModel": "modeling_beart.BeartModel",
    "AutoFeatureExtractor": "feature_extraction_beart.BeartFeatureExtractor",
    "AutoTokenizer": "tokenization_beart.BeartTokenizer",
    "AutoProcessor": "processing_beart.BeartProcessor",
}
CUSTOM_PIPELINES = {
    "beatmap-generation": {
        "impl": "pipeline_beatmap_generation.BeatmapGenerationPipeline",
        "pt": ["AutoModel"],
        "type": "audio",
    }
}
# The modules the maps above name, by file name: the same in the package and in a flat folder, so that a model loaded
# from its folder saves its code again.
ENTRY_MODULES = tuple(
    dict.fromkeys(name.split(".")[0] for name in [*AUTO_MAP.values(), CUSTOM_PIPELINES["beatmap-generation"]["impl"]])
)


@functools.lru_cache(maxsize=1)
def _modules_by_name() -> dict[str, Path]:
    """Every module of the package by its flat name (in a flat folder, its files).

    Raises:
        `ValueError`: two modules would share one name in a flat folder.
    """
    by_stem = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path.name != "__init__.py":
            if path.stem in by_stem:
                raise ValueError(f"{path} and {by_stem[path.stem]} would share one name in a flat folder.")
            by_stem[path.stem] = path
    return by_stem


def _available(reference: str) -> bool:
    """Whether the module of a `module.Class` reference is here. A model loaded from a flat folder runs from a copy of
    the modules its own class needs, which may lack the pipeline's; what is missing is not offered again."""
    return reference.split(".")[0] in _modules_by_name()


def auto_map(component: str | None = None) -> dict:
    """The `auto_map` a saved file carries: all of `AUTO_MAP` for `config.json`, or one entry (`"AutoTokenizer"`, ...)
    for that component's own file. Tokenizers are named as transformers expects, `(slow, fast)`."""
    names = AUTO_MAP if component is None else {component: AUTO_MAP[component]}
    return {
        key: [value, None] if key == "AutoTokenizer" else value for key, value in names.items() if _available(value)
    }


def custom_pipelines() -> dict:
    """The `custom_pipelines` entry of a saved `config.json` (empty where the pipeline's module is not here)."""
    return {task: entry for task, entry in CUSTOM_PIPELINES.items() if _available(entry["impl"])}


def _module_file(package: Path, dotted: str) -> Path | None:
    """The `.py` file or package `__init__.py` of `dotted` (may be empty) under `package`, if it exists."""
    base = package.joinpath(*dotted.split(".")) if dotted else package
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _defining_file(module_file: Path, name: str) -> tuple[Path, str]:
    """The file that defines `name` imported from `module_file`, following a package's `__init__` re-exports.

    Returns:
        `(file, name)`: the defining file and the name there (an `__init__` may rename with `as`).
    """
    seen = set()
    while module_file.name == "__init__.py":
        if (module_file, name) in seen:
            raise ValueError(f"{module_file}: the re-exports of `{name}` go round in a circle.")
        seen.add((module_file, name))
        for node in ast.parse(module_file.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                alias = next((alias for alias in node.names if (alias.asname or alias.name) == name), None)
                if alias is not None:
                    target = _module_file(module_file.parent, node.module or "")
                    if target is None or target.name == "__init__.py" and not node.module:
                        raise ValueError(f"{module_file}: `{name}` is a module, which a flat folder cannot import.")
                    module_file, name = target, alias.name
                    break
        else:
            raise ValueError(f"{module_file} does not import `{name}` from a module of its package.")
    return module_file, name


def _flat_imports(module_file: Path, node: ast.ImportFrom) -> list[str]:
    """The flat statements that replace one relative import (one per defining module)."""
    package = module_file.parent
    for _ in range(node.level - 1):
        package = package.parent
    target = _module_file(package, node.module or "")
    if target is None or not target.is_relative_to(PACKAGE_DIR):
        raise ValueError(f"{module_file}:{node.lineno}: cannot resolve the relative import of {node.module!r}.")
    by_module: dict[str, list[str]] = {}
    for alias in node.names:
        if alias.name == "*":
            raise ValueError(f"{module_file}:{node.lineno}: a star import cannot be flattened.")
        source, name = _defining_file(target, alias.name)
        spelled = name if (alias.asname or alias.name) == name else f"{name} as {alias.asname or alias.name}"
        by_module.setdefault(source.stem, []).append(spelled)
    return [f"from .{module} import {', '.join(names)}" for module, names in by_module.items()]


def _flattened(module_file: Path) -> tuple[str, list[str]]:
    """`module_file`'s source with its relative imports made flat, and the flat module names those imports name."""
    text = module_file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    needed = []
    replacements = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == PACKAGE_DIR.name for alias in node.names):
            raise ValueError(f"{module_file}:{node.lineno}: an absolute import of the package cannot be flattened.")
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            if (node.module or "").split(".")[0] == PACKAGE_DIR.name:
                raise ValueError(f"{module_file}:{node.lineno}: an absolute import of the package cannot be flattened.")
            continue
        statements = _flat_imports(module_file, node)
        first, last = lines[node.lineno - 1], lines[node.end_lineno - 1]
        indent, rest = first[: node.col_offset], last[node.end_col_offset :]
        if indent.strip():
            raise ValueError(f"{module_file}:{node.lineno}: a relative import must start its line to be flattened.")
        replacement = "".join(f"{indent}{statement}\n" for statement in statements[:-1])
        replacements.append((node.lineno, node.end_lineno, replacement + f"{indent}{statements[-1]}{rest}"))
        for statement in statements:
            needed.append(statement.split()[1][1:])
    for start, end, replacement in sorted(replacements, reverse=True):
        lines[start - 1 : end] = [replacement]
    return "".join(lines), needed


def flat_sources() -> dict[str, str]:
    """The flat folder's files: `{file name: source}` for the entry modules and everything they import relatively;
    made once per process (a model and its processor saved into one folder share them), a copy returned.

    Raises:
        `ValueError`: two modules share a name, or an import cannot be flattened (it names the file and line).
    """
    return dict(_flat_sources())


@functools.lru_cache(maxsize=1)
def _flat_sources() -> dict[str, str]:
    """`flat_sources`, computed."""
    by_stem = _modules_by_name()
    missing = [stem for stem in ENTRY_MODULES if stem not in by_stem]
    if missing:
        logger.warning("%s: no %s here; the saved code will not offer them.", PACKAGE_DIR, ", ".join(missing))
    sources = {}
    pending = [by_stem[stem] for stem in ENTRY_MODULES if stem in by_stem]
    while pending:
        path = pending.pop()
        if path.name in sources:
            continue
        sources[path.name], needed = _flattened(path)
        pending += [by_stem[stem] for stem in needed if f"{stem}.py" not in sources]
    return sources


def save_remote_code(save_directory: str | os.PathLike) -> list[str]:
    """Writes the flat code into `save_directory` (each file replaced whole) and returns the written paths."""
    written = [
        write_atomically(os.path.join(os.fspath(save_directory), name), source.encode("utf-8"))
        for name, source in sorted(flat_sources().items())
    ]
    logger.info("Saved %d code files in %s (trust_remote_code).", len(written), save_directory)
    return written
