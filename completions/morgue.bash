# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for morgue, morgue-index and morgued. Installed once per
# command name (bash-completion loads the file named after the command);
# each copy completes all three. Needs bash alone, not bash-completion.

_morgue_files() { mapfile -t COMPREPLY < <(compgen -f -- "$1"); compopt -o filenames 2>/dev/null; }
_morgue_dirs() { mapfile -t COMPREPLY < <(compgen -d -- "$1"); compopt -o filenames 2>/dev/null; }
_morgue_words() { mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2"); }

_morgue() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="--endpoint --db --timeout --retries --curve-server-key --curve-key --limit --page
    --offset --sort --since --until --added-since --added-until --source --strict --facets
    --no-collapse --format --snippets --by --csv --svg --vs --copies --json --prometheus --color --help
    --version"
  local cmds="search timeline terms sources categories watch get stats ping keygen"
  local fields="title: source: author: category: id: like: date:"
  case $prev in
    --db) _morgue_dirs "$cur"; return ;;
    --svg | --curve-key | --curve-server-key) _morgue_files "$cur"; return ;;
    --sort) _morgue_words "relevance newest oldest relevance+recency" "$cur"; return ;;
    --by) _morgue_words "year month week day" "$cur"; return ;;
    --format) _morgue_words "csv tsv jsonl" "$cur"; return ;;
    --color | --colour) _morgue_words "auto always never" "$cur"; return ;;
    --facets)
      # a comma-separated list: complete its last item
      local done=${cur%"${cur##*,}"}
      mapfile -t COMPREPLY < <(compgen -P "$done" -W "source category year month week day" -- "${cur##*,}")
      compopt -o nospace 2>/dev/null
      return ;;
    --endpoint) _morgue_words "ipc:// tcp://127.0.0.1:5555" "$cur"; compopt -o nospace 2>/dev/null; return ;;
    --timeout | --retries | --limit | --page | --offset | --since | --until | --added-since | \
      --added-until | --source | --vs) return ;;
  esac
  local i cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --endpoint | --db | --timeout | --retries | --curve-server-key | --curve-key | --limit | \
        --page | --offset | --sort | --since | --until | --added-since | --added-until | --source | \
        --facets | --by | --format | --svg | --vs | --color | --colour) ((i++)) ;;
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ $cur == -* ]]; then
    _morgue_words "$opts" "$cur"
  elif [ -z "$cmd" ]; then
    _morgue_words "$cmds" "$cur"
  elif [ "$cmd" = search ] || [ "$cmd" = timeline ] || [ "$cmd" = terms ]; then
    # query words: the field names and the operators
    _morgue_words "$fields AND OR NOT NEAR/" "$cur"
    [[ ${COMPREPLY[0]-} == *[:/] ]] && compopt -o nospace 2>/dev/null
  elif [ "$cmd" = keygen ]; then
    _morgue_files "$cur"
  elif [ "$cmd" = watch ] && [ "$prev" = watch ]; then
    _morgue_words "add list rm run" "$cur"
  fi
  return 0
}

_morgue_index() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="--db --lang --threads --batch --rebuild --delete-missing --delete-ids --max-delete --dry-run
    --compact --changesets --shards --shard --progress --quiet --json-stats --prom-file --help --version"
  case $prev in
    --db) _morgue_dirs "$cur"; return ;;
    --prom-file | --delete-ids) _morgue_files "$cur"; return ;;
    --lang | --threads | --batch | --max-delete | --changesets | --shards | --shard) return ;;
  esac
  if [[ $cur == -* ]]; then
    _morgue_words "$opts" "$cur"
  else
    _morgue_files "$cur"
  fi
  return 0
}

_morgued() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="--db --bind --workers --spin-us --pidfile --curve-secret --curve-allow --insecure
    --max-msg --query-budget-ms --slow-ms --max-queued --log-queries --log-slow-ms --log-format
    --log-level --shard-timeout-ms --help --version"
  case $prev in
    --db) _morgue_files "$cur"; return ;; # a database directory or a topology file
    --pidfile | --curve-secret | --curve-allow) _morgue_files "$cur"; return ;;
    --log-level) _morgue_words "debug info warn error" "$cur"; return ;;
    --log-format) _morgue_words "text json" "$cur"; return ;;
    --bind) _morgue_words "ipc:// tcp://127.0.0.1:" "$cur"; compopt -o nospace 2>/dev/null; return ;;
    --workers | --spin-us | --max-msg | --query-budget-ms | --slow-ms | --max-queued | --log-slow-ms | \
      --shard-timeout-ms) return ;;
  esac
  _morgue_words "$opts" "$cur"
  return 0
}

complete -F _morgue morgue
complete -F _morgue_index morgue-index
complete -F _morgued morgued
