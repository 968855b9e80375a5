#!/usr/bin/env bash
# The full jawiki build as Slurm job arrays: extraction split PARTS ways, then the entity table, then
# augmentation split PARTS ways, each split assembled with `leia merge-manifests`. The result is
# byte-identical to one `leia run` on the same dump, langlinks and seed.
#
#   bash pipelines/jawiki_slurm.sh submit     # submit the four stages to Slurm, chained by dependencies
#   bash pipelines/jawiki_slurm.sh local      # run the same stages one after another on this machine
#
# Settings (environment variables): DUMP, LANGLINKS, OUT, PARTS, SHARD_SIZE, SEED. For example, on the
# sample dump in data/:
#   DUMP=data/sample-jawiki-pages-articles.xml LANGLINKS=data/sample-jawiki-langlinks.sql \
#     OUT=/tmp/leia-slurm PARTS=3 SHARD_SIZE=4 bash pipelines/jawiki_slurm.sh local
# Every stage resumes: resubmitting after a failure redoes only unfinished shards.
set -euo pipefail

DUMP=${DUMP:-jawiki-latest-pages-articles.xml.bz2}
LANGLINKS=${LANGLINKS:-jawiki-latest-langlinks.sql.gz}
OUT=${OUT:-leia-jawiki}          # cluster-specific: a folder on storage every node sees
PARTS=${PARTS:-16}               # array size; each task reads the whole dump, so more than ~16 buys little
SHARD_SIZE=${SHARD_SIZE:-20000}
SEED=${SEED:-0}
LEIA=${LEIA:-leia}               # cluster-specific: e.g. "srun leia", or the venv's bin/leia
SCRIPT=$(realpath "$0")
export DUMP LANGLINKS OUT PARTS SHARD_SIZE SEED LEIA

extract_part() {
    $LEIA extract "$DUMP" -o "$OUT/parts/documents-$1" --shard-size "$SHARD_SIZE" \
        --num-parts "$PARTS" --part-index "$1" -q
}

complete() { grep -qs '"complete": true' "$1/manifest.json"; }

build_entities() {
    if ! complete "$OUT/documents"; then
        $LEIA merge-manifests "$OUT"/parts/documents-* -o "$OUT/documents"
        rm -rf "$OUT"/parts/documents-*
    fi
    [ -e "$OUT/entities.duckdb" ] || $LEIA entities --dump "$DUMP" --langlinks "$LANGLINKS" -o "$OUT/entities.duckdb" -q
}

augment_part() {
    $LEIA augment "$OUT/documents" --entities "$OUT/entities.duckdb" -o "$OUT/parts/augmented-$1" \
        --shard-size "$SHARD_SIZE" --seed "$SEED" --num-parts "$PARTS" --part-index "$1" -q
}

merge_augmented() {
    if ! complete "$OUT/augmented"; then
        $LEIA merge-manifests "$OUT"/parts/augmented-* -o "$OUT/augmented"
        rm -rf "$OUT/parts"
    fi
    $LEIA stats "$OUT/augmented"
}

case "${1:-}" in
    submit)
        mkdir -p "$OUT/logs"
        # Cluster-specific: add --partition/--account/--time to these sbatch lines as your site requires.
        common=(--parsable --cpus-per-task=1 --mem=4G --output="$OUT/logs/%x-%A_%a.log" --export=ALL)
        last=$((PARTS - 1))
        a=$(sbatch "${common[@]}" --job-name=leia-extract --array=0-$last "$SCRIPT" extract-task)
        b=$(sbatch "${common[@]}" --job-name=leia-entities --mem=16G --dependency=afterok:$a "$SCRIPT" entities)
        c=$(sbatch "${common[@]}" --job-name=leia-augment --array=0-$last --mem=16G --dependency=afterok:$b \
            "$SCRIPT" augment-task)
        d=$(sbatch "${common[@]}" --job-name=leia-merge --dependency=afterok:$c "$SCRIPT" merge)
        echo "submitted: extract $a, entities $b, augment $c, merge $d; logs in $OUT/logs"
        ;;
    extract-task) extract_part "$SLURM_ARRAY_TASK_ID" ;;
    entities) build_entities ;;
    augment-task) augment_part "$SLURM_ARRAY_TASK_ID" ;;
    merge) merge_augmented ;;
    local)
        for i in $(seq 0 $((PARTS - 1))); do extract_part "$i"; done
        build_entities
        for i in $(seq 0 $((PARTS - 1))); do augment_part "$i"; done
        merge_augmented
        ;;
    *)
        echo "usage: $0 submit | local   (settings in DUMP, LANGLINKS, OUT, PARTS, SHARD_SIZE, SEED)" >&2
        exit 2
        ;;
esac
