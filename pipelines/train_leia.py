"""Continue training a causal LM on a folder of augmented shards, as LEIA does: ``leia train`` from Python.

The options are those of ``leia train`` (every field of leia.training.TrainConfig); on a GPU machine, with a
real model and the paper's recipe:

    python pipelines/train_leia.py --model llm-jp/llm-jp-3-1.8b --data jawiki-leia --output-dir runs/leia

and a smoke run on a CPU:

    python pipelines/train_leia.py --smoke --data leia-output/augmented --output-dir runs/smoke
"""

from __future__ import annotations

import argparse
import json

from leia.settings import add_settings, settings_from
from leia.training import TrainConfig, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_settings(parser, TrainConfig)
    summary = train(settings_from(parser.parse_args(argv), TrainConfig))
    print(json.dumps(summary))
    return 1 if "error" in summary else 0


if __name__ == "__main__":
    raise SystemExit(main())
