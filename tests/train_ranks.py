"""Run by torchrun in tests/test_train.py: ``leia train`` in each process, recording every block the process
trains on (a hash of its input_ids, for the blocks that carry a label) and that the process ended.

    python -m torch.distributed.run --nproc_per_node 2 tests/train_ranks.py RECORD_DIR [leia train options]
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from leia.cli import main
from leia.training.collator import LeiaDataCollator

record = Path(sys.argv[1])
rank = int(os.environ.get("RANK", "0"))
seen: list[dict] = []
collate = LeiaDataCollator.__call__


def recording(self, features):
    for f in features:
        if bool((f["labels"] != -100).any()):
            seen.append({"sha1": hashlib.sha1(f["input_ids"].numpy().tobytes()).hexdigest(),
                         "tokens": int(f["input_ids"].numel())})
    return collate(self, features)


LeiaDataCollator.__call__ = recording
status = main(["train", *sys.argv[2:]])
(record / f"rank-{rank}.json").write_text(json.dumps({"status": status, "blocks": seen}))
sys.exit(status)
