#compdef kompose
#
# zsh completion for kompose. Printed by "kompose completion zsh". Every
# answer comes from the kompose binary ("kompose __complete WORD..."), so it
# always matches the binary. Load it with
#   source <(kompose completion zsh)
# after compinit, or install it as _kompose in a folder of $fpath (the
# Debian package puts it in /usr/share/zsh/vendor-completions).

_kompose() {
	local prog=${words[1]} directive
	local -a lines
	[[ $prog == */* ]] || prog=kompose
	lines=("${(@f)$(command ${~prog} __complete "${(@Q)words[2,CURRENT]}" 2>/dev/null)}")
	(( ${#lines} )) || return 1
	directive=${lines[-1]}
	lines=("${(@)lines[1,-2]}")
	[[ $directive == :(files|dirs) && $PREFIX == -*=* ]] && compset -P '*=' # --root=DIR
	case $directive in
	(:files) _files ;;
	(:dirs) _files -/ ;;
	esac
	(( ${#lines} )) && compadd -- "${lines[@]}"
	return 0
}

if [[ $funcstack[1] == _kompose ]]; then
	_kompose "$@"
else
	compdef _kompose kompose
fi
