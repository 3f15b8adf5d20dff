# fish completion for kompose. Printed by "kompose completion fish". Every
# answer comes from the kompose binary ("kompose __complete WORD..."), so it
# always matches the binary. Load it with
#   kompose completion fish | source
# or install it as kompose.fish in a completions folder (the Debian package
# puts it in /usr/share/fish/vendor_completions.d).

function __kompose_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $words[1]
    set -e words[1]
    string match -q -- '*/*' $prog; or set prog kompose
    set -l lines (command $prog __complete $words $cur 2>/dev/null); or return
    set -q lines[1]; or return
    set -l directive $lines[-1]
    set -e lines[-1]
    # --root=DIR: complete the path after the "=", keep the option
    set -l opt (string match -r -- '^-[^=]*=' $cur)
    set -l path (string replace -r -- '^-[^=]*=' '' $cur)
    switch $directive
        case :files
            __fish_complete_path $path | string replace -r -- '^' "$opt"
        case :dirs
            __fish_complete_directories $path | string replace -r -- '^' "$opt"
    end
    for line in $lines
        echo $line
    end
end

complete -c kompose -f -a '(__kompose_complete)'
