# Printing commands as they must be typed; source it.

# shell_quote ARG...: prints the arguments on one line, each quoted for
# bash where it needs it ('*' and not *, '' for an empty one), so that the
# line pasted into a shell runs the same command.
shell_quote() {
  local a out=()
  for a; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+=("$a")
    else
      out+=("'${a//\'/\'\\\'\'}'")
    fi
  done
  printf '%s\n' "${out[*]}"
}

# show_cmd CMD...: prints "$ CMD..." as it must be typed.
show_cmd() {
  printf '$ %s' "$(shell_quote "$@")"
  printf '\n'
}
