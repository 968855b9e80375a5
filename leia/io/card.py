"""The dataset card of a shard folder: ``README.md`` with the YAML header the Hugging Face Hub reads.

The header names the finished shards as the data files of one ``train`` split and gives their features from
the explicit schema and their rows and bytes (the ``dataset_info`` the Hub and ``datasets`` read without a
complaint), so ``datasets.load_dataset(folder)`` and ``push_to_hub`` read exactly those shards (never
a file in the making), and it carries the licence of Wikipedia's text (CC BY-SA 4.0), the language, the
source dump, the parameters and the counters. It is rewritten with every manifest, from the manifest alone,
so the same run always writes the same card.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from leia.io.files import write_text_atomic

if TYPE_CHECKING:
    from leia.io.manifest import Manifest

__all__ = ["card_text", "write_card", "is_leia_card", "features_yaml", "source_dump"]

CARD = "README.md"  # the dataset card's file name in an output folder
MARKER = "<!-- dataset card written by leia with manifest.json; rewritten with it -->"
_DATE_RE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-/]*", text) and text not in ("null", "true", "false", "yes", "no"):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML of nested dicts, lists and scalars."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml(item, indent + 2 if isinstance(item, dict) else indent))
            else:
                lines.append(f"{pad}{key}: {_scalar(item) if not isinstance(item, (dict, list)) else '[]' if isinstance(item, list) else '{}'}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = _yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.extend(_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(pad + _scalar(value))
    return lines


def _feature(data_type: pa.DataType) -> dict:
    if pa.types.is_struct(data_type):
        return {"struct": [{"name": f.name, **_feature(f.type)} for f in data_type]}
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        inner = data_type.value_type
        if pa.types.is_struct(inner):
            return {"list": [{"name": f.name, **_feature(f.type)} for f in inner]}
        return {"list": _feature(inner)}
    names = {pa.string(): "string", pa.large_string(): "large_string", pa.bool_(): "bool"}
    return {"dtype": names.get(data_type, str(data_type))}


def features_yaml(schema: pa.Schema) -> list[dict]:
    """The ``dataset_info.features`` of a schema, as ``datasets.Features._to_yaml_list`` writes them."""
    return [{"name": f.name, **_feature(f.type)} for f in schema]


def _schema_of(manifest: "Manifest") -> pa.Schema | None:
    from leia.schemas import AUGMENTED, BLOCKS, DOCUMENTS

    for schema in (DOCUMENTS, AUGMENTED, BLOCKS):
        if manifest.schema == schema.to_string():
            return schema
    return None


def source_dump(manifest: "Manifest") -> dict | None:
    """The dump a folder comes from (its name and, when the name holds one, its date), through the documents
    an augmentation read."""
    for entry in manifest.inputs:
        if entry.get("kind", "dump") == "dump" and str(entry.get("path", "")).endswith((".xml", ".bz2", ".gz")):
            name = str(entry["path"])
            m = _DATE_RE.search(name)
            return {"name": name, "date": f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None}
        for inner in entry.get("from", []):
            if isinstance(inner, dict) and inner.get("path"):
                name = str(inner["path"])
                m = _DATE_RE.search(name)
                return {"name": name, "date": f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None}
    return None


def card_text(manifest: "Manifest") -> str:
    wiki = manifest.extra.get("wiki") or {}
    lang = wiki.get("lang") if isinstance(wiki, dict) else None
    dump = source_dump(manifest)
    files = [s["file"] for s in manifest.shards]
    rows = sum(s["rows"] for s in manifest.shards)
    header: dict[str, Any] = {
        "license": "cc-by-sa-4.0" if wiki else "other",
        "language": [lang] if lang else [],
        "pretty_name": f"leia {manifest.kind}" + (f" of {dump['name']}" if dump else ""),
        "tags": ["leia", "wikipedia"] if wiki else ["leia"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": files}]}],
    }
    schema = _schema_of(manifest)
    info: dict[str, Any] = {}
    if schema is not None:
        info["features"] = features_yaml(schema)
    size = sum(s.get("size", 0) for s in manifest.shards)
    # what datasets.DatasetInfo reads from the card: each split's name, examples and bytes, and the sizes
    info["splits"] = [{"name": "train", "num_bytes": size, "num_examples": rows}]
    info["download_size"] = size
    info["dataset_size"] = size
    header["dataset_info"] = info
    if not header["language"]:
        del header["language"]
    state = ("complete" if manifest.complete else
             f"**incomplete**: {len(files)} finished shards so far; rerun the same command to finish")
    body = [
        f"# leia {manifest.kind}",
        "",
        f"Written by leia {manifest.version}: {state}. Wikipedia's text is licensed under CC BY-SA 4.0; "
        "keep this attribution when you share the data." if wiki else f"Written by leia {manifest.version}: {state}.",
        "",
        f"- source dump: {dump['name']}" + (f" ({dump['date']})" if dump and dump["date"] else "") if dump else
        "- source: " + ", ".join(str(i.get("path")) for i in manifest.inputs),
        f"- wiki: {wiki.get('dbname')}" + (f" ({wiki.get('base')})" if wiki.get("base") else "") if wiki else "",
        f"- shards: {len(files)}, rows: {rows}",
        "",
        "```python",
        "import datasets",
        'ds = datasets.load_dataset("arrow", data_files="FOLDER/shard-*.arrow", split="train")',
        "```",
        "",
        "## Parameters",
        "",
        "```json",
        json.dumps(manifest.parameters, ensure_ascii=False, indent=2, sort_keys=True),
        "```",
        "",
        "## Counters",
        "",
        "```json",
        json.dumps(manifest.counters, ensure_ascii=False, indent=2),
        "```",
    ]
    return "---\n" + "\n".join(_yaml(header)) + "\n---\n" + MARKER + "\n\n" + "\n".join(
        line for line in body if line is not None) + "\n"


def write_card(folder: Path, manifest: "Manifest") -> None:
    write_text_atomic(Path(folder) / CARD, card_text(manifest))


def is_leia_card(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return MARKER in head
