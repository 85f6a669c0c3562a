#!/usr/bin/env bash
# The catalogue of bad inputs: each case runs one `gnnx` command on a bad file, a bad flag or a
# bad place to write, and checks what a user must get: exit status 1 (2 for a command line that
# does not parse), exactly one line on stderr that starts with "gnnx: error:" and names the
# problem, no crash, no hang (each command is limited to 120 s), and no file written where the
# command failed. A few cases are inputs that are unusual but valid (self loops, an isolated
# node, integer features): those must succeed.
#
#   catalogue.sh --list                  the case names, one per line
#   catalogue.sh GNNX DATA CASE          run one case (CTest runs each as bad_input.CASE)
#
# GNNX is the gnnx command-line tool, DATA is tests/data. Exit 0: the case passed; 77: skipped
# (a case that needs to mount a tmpfs, when this machine does not allow it); 1: failed.
# docs/bad-inputs.md lists the cases with what each must produce.
set -uo pipefail

cases=(
  # graph files (explain --graph)
  graph_missing graph_is_directory graph_unknown_extension graph_pt_truncated graph_pt_not_a_dict
  graph_pt_x_nan graph_pt_x_inf graph_pt_x_missing graph_pt_x_wide graph_pt_edge_float graph_pt_edge_three_rows
  graph_pt_edge_id_n graph_pt_edge_negative graph_pt_edge_weight_nan graph_pt_edge_weight_short graph_pt_empty
  graph_csv_empty graph_csv_text_id graph_csv_negative_id graph_csv_one_column graph_csv_features_nan graph_csv_no_features
  graph_graphml_truncated graph_dot_syntax graph_json_truncated graph_random_bytes graph_pt_changed_byte
  # valid but unusual graphs
  ok_self_loops ok_duplicate_edges ok_isolated_node ok_integer_features ok_csv_with_features
  # model files (explain --model)
  model_missing model_is_directory model_truncated model_is_a_graph model_other_width model_random_bytes
  model_changed_byte
  # targets and options
  node_out_of_range node_negative nodes_file_junk nodes_file_empty nodes_file_missing no_targets
  graph_index_on_node_model method_unknown option_unknown option_not_key_value option_not_a_number
  option_zero_epochs option_negative_epochs option_nan_lr top_k_negative ok_top_k_huge
  # where the result goes
  out_missing_folder out_is_directory out_read_only_folder out_full_disk out_kept_when_killed
  out_kept_on_error
  # resources
  memory_limit_exceeded memory_limit_malformed ok_memory_limit
  # other commands
  evaluate_html_missing_folder evaluate_html_is_directory evaluate_html_read_only_folder
  command_unknown command_missing flag_unknown dataset_unknown evaluate_zero_seeds train_unknown_dataset
  attribute_model_missing attribute_input_truncated attribute_method_unknown attribute_layer_unknown
  attribute_target_out_of_range info_unknown_device
)

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${cases[@]}"
  exit 0
fi
[ $# -eq 3 ] || { echo "usage: $0 --list | $0 GNNX DATA CASE" >&2; exit 1; }
GNNX=$1 DATA=$2 CASE=$3
BAD=$DATA/bad
MODEL=$DATA/pyg_ba_shapes_gcn.pt
GRAPH=$DATA/pyg_ba_shapes_graph.pt
WORK=$(mktemp -d)
MOUNTED=""
cleanup() {
  [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

rc=0
# run ARGS...: runs gnnx with a time limit; sets rc, keeps stdout and stderr in $WORK.
run() {
  timeout 120 "$GNNX" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
  rc=$?
}
failed() {
  echo "FAILED $CASE: $*" >&2
  echo "--- stderr:" >&2
  head -c 2000 "$WORK/stderr" >&2
  exit 1
}
# error PATTERN [STATUS]: the command failed cleanly with one error line matching PATTERN.
error() {
  local want=${2:-1}
  [ "$rc" -eq 124 ] && failed "timed out (hang)"
  [ "$rc" -ge 128 ] && failed "killed by signal $((rc - 128)) (crash)"
  [ "$rc" -eq "$want" ] || failed "exit status $rc, expected $want"
  grep -qE 'terminate called|Segmentation|Aborted|core dumped' "$WORK/stderr" && failed "crash message"
  [ "$(wc -l <"$WORK/stderr")" -eq 1 ] || failed "expected exactly one line on stderr"
  grep -q '^gnnx: error: ' "$WORK/stderr" || failed "stderr does not start with 'gnnx: error: '"
  grep -qE -- "$1" "$WORK/stderr" || failed "error does not match /$1/"
  echo "ok $CASE: $(cat "$WORK/stderr")"
}
success() {
  [ "$rc" -eq 0 ] || failed "exit status $rc, expected 0"
  echo "ok $CASE: succeeded"
}
nofile() { [ ! -e "$1" ] || failed "$1 was written"; ls "$(dirname "$1")" | grep -q '\.tmp' && failed "a temporary file was left in $(dirname "$1")"; true; }
explain() { run explain --model "$MODEL" "$@"; }  # the method is gnnexplainer unless a case names one
explain_graph() { explain --graph "$1" --node 400 --method grad; }
changed_byte() {  # changed_byte FROM TO: a copy of FROM with the byte in the middle (inside a tensor) set to 'Z'
  cp "$1" "$2"
  printf 'Z' | dd of="$2" bs=1 seek=$(($(stat -c %s "$1") / 2)) conv=notrunc status=none
}
write() { printf '%b' "$2" >"$WORK/$1"; }
tiny_mount() {  # tiny_mount DIR OPTIONS: a tmpfs of 16 KiB at DIR, or skip the case
  mkdir -p "$1"
  mount -t tmpfs -o "size=16k,$2" tmpfs "$1" 2>/dev/null || { echo "skipped $CASE: cannot mount a tmpfs here"; exit 77; }
  MOUNTED=$1
}

case $CASE in
  graph_missing) explain_graph "$WORK/none.pt"; error "load_graph: .*none.pt: no such file" ;;
  graph_is_directory) explain_graph "$WORK"; error "is a directory, expected a graph file" ;;
  graph_unknown_extension) write g.xyz "0,1\n"; explain_graph "$WORK/g.xyz"; error "load_graph: .*g.xyz" ;;
  graph_pt_truncated) explain_graph "$BAD/truncated.pt"; error "truncated or corrupt" ;;
  graph_pt_not_a_dict) explain_graph "$BAD/not_a_dict.pt"; error "expected a dict of tensors" ;;
  graph_pt_x_nan) explain_graph "$BAD/x_nan.pt"; error "x holds NaN or Inf" ;;
  graph_pt_x_inf) explain_graph "$BAD/x_inf.pt"; error "x holds NaN or Inf" ;;
  graph_pt_x_missing) explain_graph "$BAD/x_missing.pt"; error "has no node features" ;;
  graph_pt_x_wide) explain_graph "$BAD/x_wide.pt"; error "the model takes 1 node features, .* has 2" ;;
  graph_pt_edge_float) explain_graph "$BAD/edge_float.pt"; error "'edge_index' must be a \[2, E\] integer tensor, got Float" ;;
  graph_pt_edge_three_rows) explain_graph "$BAD/edge_three_rows.pt"; error "must be a \[2, E\] integer tensor, got Long \[3" ;;
  graph_pt_edge_id_n) explain_graph "$BAD/edge_id_n.pt"; error "holds node id 700 but the graph has 700 nodes" ;;
  graph_pt_edge_negative) explain_graph "$BAD/edge_negative.pt"; error "negative node id" ;;
  graph_pt_edge_weight_nan) explain_graph "$BAD/edge_weight_nan.pt"; error "edge_weight holds NaN or Inf" ;;
  graph_pt_edge_weight_short) explain_graph "$BAD/edge_weight_short.pt"; error "edge_weight must have shape \[E\]" ;;
  graph_pt_empty) explain_graph "$BAD/empty.pt"; error "node 400 is outside the graph's \[0, 0\)" ;;
  graph_csv_empty) write g.csv ""; explain_graph "$WORK/g.csv"; error "load_graph: .*g.csv" ;;
  graph_csv_text_id) write g.csv "0,1\n1,two\n"; explain_graph "$WORK/g.csv"; error "g.csv.*(line|row) 2" ;;
  graph_csv_negative_id) write g.csv "0,1\n-4,1\n"; explain_graph "$WORK/g.csv"; error "g.csv.*(negative|-4)" ;;
  graph_csv_one_column) write g.csv "0,1\n3\n"; explain_graph "$WORK/g.csv"; error "g.csv.*(line|row) 2" ;;
  graph_csv_features_nan)
    write g.csv "0,1\n1,0\n"; write f.csv "0,1\n1,nan\n"
    explain --graph "$WORK/g.csv" --features "$WORK/f.csv" --node 0 --method grad; error "f.csv.*(NaN|nan)" ;;
  graph_csv_no_features) write g.csv "0,1\n1,0\n"; explain_graph "$WORK/g.csv"; error "no node features \\(give them with --features" ;;
  ok_csv_with_features)
    write g.csv "0,1\n1,2\n2,0\n"; write f.csv "0,1\n1,1\n2,1\n"
    explain --graph "$WORK/g.csv" --features "$WORK/f.csv" --undirected --node 1 --method grad; success ;;
  graph_graphml_truncated)
    write g.graphml '<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n<graph edgedefault="directed">\n<node id="n0"/><node id="n1"/>\n<edge source="n0" target='
    explain_graph "$WORK/g.graphml"; error "load_graph: .*g.graphml" ;;
  graph_dot_syntax) write g.dot "digraph { a -> ; }\n"; explain_graph "$WORK/g.dot"; error "load_graph: .*g.dot" ;;
  graph_json_truncated) write g.json '{"num_nodes": 3, "edge_index": [[0, 1], [1'; explain_graph "$WORK/g.json"; error "load_graph: .*g.json" ;;
  graph_pt_changed_byte)
    changed_byte "$GRAPH" "$WORK/g.pt"
    explain_graph "$WORK/g.pt"; error "load_graph: .*g.pt\" is corrupt: the entry .* does not match its CRC-32" ;;
  graph_random_bytes) head -c 4096 /dev/urandom >"$WORK/g.pt"; explain_graph "$WORK/g.pt"; error "load_graph: .*g.pt" ;;

  ok_self_loops) explain_graph "$BAD/self_loops.pt"; success ;;
  ok_duplicate_edges) explain_graph "$BAD/duplicate_edges.pt"; success ;;
  ok_isolated_node) explain --graph "$BAD/isolated_node.pt" --node 700; success ;;
  ok_integer_features) explain_graph "$BAD/x_int.pt"; success ;;

  model_missing) run explain --model "$WORK/none.pt" --graph "$GRAPH" --node 400; error "load_model: .*none.pt" ;;
  model_is_directory) run explain --model "$WORK" --graph "$GRAPH" --node 400; error "load_model: " ;;
  model_changed_byte)  # one byte of a weight: without the CRC-32 check it loaded, silently wrong
    changed_byte "$MODEL" "$WORK/m.pt"
    run explain --model "$WORK/m.pt" --graph "$GRAPH" --node 400; error "load_model: .*m.pt\" is corrupt: the entry .* does not match its CRC-32" ;;
  model_truncated) run explain --model "$BAD/truncated.pt" --graph "$GRAPH" --node 400; error "load_model: .*not a gnnx model, a PyG state dict or a TorchScript model" ;;
  model_is_a_graph) run explain --model "$GRAPH" --graph "$GRAPH" --node 400; error "load_model: " ;;
  model_other_width) run explain --model "$DATA/pyg/gat_node_jk_none.pt" --graph "$GRAPH" --node 400; error "the model takes 3 node features" ;;
  model_random_bytes) head -c 4096 /dev/urandom >"$WORK/m.pt"; run explain --model "$WORK/m.pt" --graph "$GRAPH" --node 400; error "load_model: " ;;

  node_out_of_range) explain --graph "$GRAPH" --node 700; error "node 700 is outside the graph's \[0, 700\)" ;;
  node_negative) explain --graph "$GRAPH" --node -1; error "node -1 is outside" ;;
  nodes_file_junk) write n.txt "400 four\n"; explain --graph "$GRAPH" --nodes "$WORK/n.txt"; error "n.txt" ;;
  nodes_file_empty) write n.txt ""; explain --graph "$GRAPH" --nodes "$WORK/n.txt"; error "n.txt" ;;
  nodes_file_missing) explain --graph "$GRAPH" --nodes "$WORK/none.txt"; error "none.txt" ;;
  no_targets) explain --graph "$GRAPH"; error "give --node I" ;;
  graph_index_on_node_model) explain --graph "$GRAPH" --node 400 --graph-index 0; error "--graph-index is for graph classifiers" ;;
  method_unknown) explain --graph "$GRAPH" --node 400 --method nope; error "unknown method \"nope\"; known: " ;;
  option_unknown) explain --graph "$GRAPH" --node 400 --method gnnexplainer --option nosuch=1; error "unknown option \"nosuch\"" ;;
  option_not_key_value) explain --graph "$GRAPH" --node 400 --option epochs; error "--option expects key=value" ;;
  option_not_a_number) explain --graph "$GRAPH" --node 400 --method gnnexplainer --option epochs=abc; error "epochs expects an integer, got \"abc\"" ;;
  option_zero_epochs) explain --graph "$GRAPH" --node 400 --method gnnexplainer --option epochs=0; error "epochs must be >= 1, got 0" ;;
  option_negative_epochs) explain --graph "$GRAPH" --node 400 --method gnnexplainer --option epochs=-3; error "epochs must be >= 1, got -3" ;;
  option_nan_lr) explain --graph "$GRAPH" --node 400 --method gnnexplainer --option lr=nan; error "lr must be positive, got nan" ;;
  top_k_negative) explain --graph "$GRAPH" --node 400 --top-k -1; error "--top-k must be positive" ;;
  ok_top_k_huge) run explain --model "$MODEL" --graph "$GRAPH" --node 400 --method grad --top-k 1000000000 --json; success ;;

  out_missing_folder) explain --graph "$GRAPH" --node 400 --out "$WORK/no/e.pt"; error "cannot write there, no folder"; nofile "$WORK/no/e.pt" ;;
  out_is_directory) mkdir "$WORK/e.pt"; explain --graph "$GRAPH" --node 400 --out "$WORK/e.pt"; error "e.pt is a directory"; nofile "$WORK/e.pt/x" ;;
  out_read_only_folder)
    tiny_mount "$WORK/ro" ro
    explain --graph "$GRAPH" --node 400 --method grad --out "$WORK/ro/e.pt"; error "cannot (write|create)"; nofile "$WORK/ro/e.pt" ;;
  out_full_disk)
    tiny_mount "$WORK/full" rw
    explain --graph "$GRAPH" --node 400 --node 401 --node 402 --out "$WORK/full/e.pt" --method gnnexplainer --option epochs=2
    # 16 KiB cannot hold three explanations of 700-node graphs' masks: the write fails, and the
    # folder holds nothing afterwards.
    error "cannot write .*No space left on device"; nofile "$WORK/full/e.pt" ;;
  evaluate_html_missing_folder)
    run evaluate --dataset ba-shapes --method grad --nodes 400 --html "$WORK/no/r.html"
    error "evaluate: --html expects a file in an existing folder, got '.*/no/r.html' \(no folder"; nofile "$WORK/no/r.html" ;;
  evaluate_html_is_directory)
    mkdir "$WORK/r.html"; run evaluate --dataset ba-shapes --method grad --nodes 400 --html "$WORK/r.html"
    error "evaluate: --html expects a file name, got '.*/r.html', a folder"; nofile "$WORK/r.html/x" ;;
  evaluate_html_read_only_folder)
    tiny_mount "$WORK/ro" ro
    run evaluate --dataset ba-shapes --method grad --nodes 400 --html "$WORK/ro/r.html"
    error "evaluate: --html expects a file in a writable folder, got '.*/ro/r.html' \(Read-only file system\)"
    nofile "$WORK/ro/r.html" ;;
  out_kept_when_killed)
    echo "earlier results" >"$WORK/e.pt"
    seq 300 699 >"$WORK/n.txt"
    timeout -s KILL 2 "$GNNX" explain --model "$MODEL" --graph "$GRAPH" --nodes "$WORK/n.txt" --method gnnexplainer \
      --option epochs=2000 --out "$WORK/e.pt" >"$WORK/stdout" 2>"$WORK/stderr"
    rc=$?
    [ "$rc" -eq 137 ] || failed "the command was not killed (status $rc)"
    [ "$(cat "$WORK/e.pt")" = "earlier results" ] || failed "the earlier file changed"
    [ "$(ls "$WORK")" = "$(printf 'e.pt\nn.txt\nstderr\nstdout')" ] || failed "files appeared: $(ls "$WORK")"
    echo "ok $CASE: killed after 2 s, the earlier e.pt intact, nothing else written" ;;
  out_kept_on_error)
    echo "earlier results" >"$WORK/e.pt"
    explain --graph "$GRAPH" --node 700 --out "$WORK/e.pt"; error "node 700 is outside"
    [ "$(cat "$WORK/e.pt")" = "earlier results" ] || failed "the earlier file changed" ;;

  memory_limit_exceeded)  # SubgraphX's batch of masked copies would pass the limit: nothing is written
    GNNX_MEMORY_LIMIT=4M explain --graph "$GRAPH" --node 400 --method subgraphx --out "$WORK/e.pt"
    error "memory limit: allocating .* would exceed the limit of 4.0 MiB"; nofile "$WORK/e.pt" ;;
  memory_limit_malformed) GNNX_MEMORY_LIMIT=lots explain --graph "$GRAPH" --node 400 --method grad
    error "GNNX_MEMORY_LIMIT: expected a size in bytes" 2 ;;
  ok_memory_limit) GNNX_MEMORY_LIMIT=1G explain --graph "$GRAPH" --node 400 --method grad; success ;;

  command_unknown) run nosuch; error "unknown command .nosuch.; the commands are demo, info" 2 ;;
  command_missing) run; error "A subcommand is required" 2 ;;
  flag_unknown) run explain --frobnicate; error "--frobnicate" 2 ;;
  dataset_unknown) run dataset nope --out "$WORK/d.json"; error "unknown dataset 'nope'"; nofile "$WORK/d.json" ;;
  evaluate_zero_seeds) run evaluate --dataset ba-shapes --method grad --seeds 0; error "seeds" ;;
  train_unknown_dataset) run train --dataset nope --out "$WORK/m.pt"; error "unknown dataset 'nope'"; nofile "$WORK/m.pt" ;;
  attribute_model_missing) run attribute --model "$WORK/none.pt" --input "$DATA/tiny_cnn_input.pt" --method saliency; error "none.pt" ;;
  attribute_input_truncated)
    head -c 100 "$DATA/tiny_cnn_input.pt" >"$WORK/x.pt"
    run attribute --model "$DATA/tiny_cnn.pt" --input "$WORK/x.pt" --method saliency --out "$WORK/a.pt"; error "x.pt"; nofile "$WORK/a.pt" ;;
  attribute_method_unknown) run attribute --model "$DATA/tiny_cnn.pt" --input "$DATA/tiny_cnn_input.pt" --method nope; error "nope" ;;
  attribute_layer_unknown) run attribute --model "$DATA/tiny_cnn.pt" --input "$DATA/tiny_cnn_input.pt" --method gradcam --layer nope; error "nope" ;;
  attribute_target_out_of_range) run attribute --model "$DATA/tiny_cnn.pt" --input "$DATA/tiny_cnn_input.pt" --method saliency --target 1000; error "1000" ;;
  info_unknown_device) run info --check --device tpu; error "tpu" ;;
  *) echo "unknown case '$CASE'" >&2; exit 1 ;;
esac
exit 0
