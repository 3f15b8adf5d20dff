# bash completion for kompose                              -*- shell-script -*-
#
# Printed by "kompose completion bash". Every answer comes from the kompose
# binary ("kompose __complete WORD..."), so it always matches the binary:
# its options, its commands, the stacks of the root in effect, dumps and
# archives. Load it with
#   source <(kompose completion bash)
# or install it as /usr/share/bash-completion/completions/kompose (the
# Debian package does).

# _kompose_words rebuilds the words bash split at COMP_WORDBREAKS
# ("db:import" arrives as "db" ":" "import", "--root=x" as "--root" "=" "x"):
# a token that starts where the one before it ended is part of its word.
# It sets _kompose_ws (the words up to the cursor), _kompose_cur (the text
# readline replaces) and _kompose_trim (what of the last word comes before
# it), locals of _kompose.
_kompose_words() {
	local line=${COMP_LINE:0:COMP_POINT} i w rest before pos=0
	_kompose_ws=()
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		rest=${line:pos}
		if [[ -z $w ]]; then
			before=$rest # the word under the cursor, after a space or not
		else
			before=${rest%%"$w"*}
			[[ $before == "$rest" ]] && before=" " # not found: a word of its own
		fi
		if ((i > 0)) && [[ -z $before ]]; then
			_kompose_ws[${#_kompose_ws[@]} - 1]+=$w
		else
			_kompose_ws+=("$w")
		fi
		pos=$((pos + ${#before} + ${#w}))
	done
	# Readline replaces only what follows the last word break (":", "="):
	# when the current token is the break itself, that is nothing.
	_kompose_cur=${COMP_WORDS[COMP_CWORD]}
	[[ $_kompose_cur == [:=] ]] && _kompose_cur=
	_kompose_trim=${_kompose_ws[${#_kompose_ws[@]} - 1]%"$_kompose_cur"}
}

_kompose() {
	local prog=${COMP_WORDS[0]} out directive c _kompose_trim _kompose_cur
	local -a lines _kompose_ws
	[[ $prog == */* ]] || prog=kompose
	prog=${prog/#\~/$HOME}
	_kompose_words
	out=$(command "$prog" __complete "${_kompose_ws[@]:1}" 2>/dev/null) || return 0
	mapfile -t lines <<<"$out"
	directive=${lines[${#lines[@]} - 1]}
	unset 'lines[${#lines[@]}-1]'
	COMPREPLY=()
	case $directive in
	:files)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$_kompose_cur")
		;;
	:dirs)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$_kompose_cur")
		;;
	esac
	for c in "${lines[@]}"; do
		[[ -n $c ]] || continue
		c=${c#"$_kompose_trim"}
		# A name with a character the shell reads (a folder "a;b c") is
		# inserted quoted, never as shell syntax.
		[[ $c == *[!A-Za-z0-9._,:=/@%+!~-]* ]] && printf -v c '%q' "$c"
		COMPREPLY+=("$c")
	done
	return 0
}

complete -F _kompose kompose
