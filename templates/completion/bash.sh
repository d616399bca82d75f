# {{name}} completion for bash. Load it with: source <({{name}} completion bash)
# (or save it as /etc/bash_completion.d/{{name}}). Generated from the command tree.
{{lookups}}
{{fn}}() {
  local cur="${COMP_WORDS[COMP_CWORD]}" cmd="{{name}}" i w skip=0 words
  # Walk the words before the cursor: subcommands extend the command path; a flag
  # that takes a value makes the next word its value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ "$w" == -* ]]; then
      [[ "$w" != *=* && " $({{fn}}_value_flags "$cmd") " == *" $w "* ]] && skip=1
      continue
    fi
    [[ " $({{fn}}_commands "$cmd") " == *" $w "* ]] && cmd="$cmd $w"
  done
  if ((skip)); then
    words="$({{fn}}_flag_choices "$cmd ${COMP_WORDS[COMP_CWORD-1]}")"
    if [[ -n "$words" ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$({{fn}}_flags "$cmd")" -- "$cur"))
    return 0
  fi
  words="$({{fn}}_commands "$cmd") $({{fn}}_arg_choices "$cmd")"
  if [[ -n "${words// /}" ]]; then COMPREPLY=($(compgen -W "$words" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
  return 0
}
complete -F {{fn}} {{name}}
