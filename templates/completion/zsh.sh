#compdef {{name}}
# {{name}} completion for zsh. Load it with: source <({{name}} completion zsh) (after compinit),
# or save it as _{{name}} in a folder of your $fpath. Generated from the command tree.
{{lookups}}
{{fn}}() {
  local cmd="{{name}}" i w skip=0 cur="${words[CURRENT]}"
  local -a described choices
  for ((i = 2; i < CURRENT; i++)); do
    w="${words[i]}"
    if ((skip)); then skip=0; continue; fi
    if [[ "$w" == -* ]]; then
      [[ "$w" != *=* && " $({{fn}}_value_flags "$cmd") " == *" $w "* ]] && skip=1
      continue
    fi
    [[ " $({{fn}}_commands "$cmd") " == *" $w "* ]] && cmd="$cmd $w"
  done
  if ((skip)); then
    choices=(${=$({{fn}}_flag_choices "$cmd ${words[CURRENT-1]}")})
    if (( ${#choices} )); then compadd -- $choices; else _files; fi
    return
  fi
  if [[ "$cur" == -* ]]; then
    choices=(${=$({{fn}}_flags "$cmd")})
    compadd -- $choices
    return
  fi
  case "$cmd" in
{{described}}
  esac
  if (( ${#described} )); then _describe 'command' described; return; fi
  choices=(${=$({{fn}}_arg_choices "$cmd")})
  if (( ${#choices} )); then compadd -- $choices; else _files; fi
}
compdef {{fn}} {{name}}
