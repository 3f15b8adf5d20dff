package output

import "hash/fnv"

// palette are the colours of stack prefixes: the same stack gets the same
// colour in every run.
var palette = [...]string{"36", "35", "33", "32", "34", "96", "95", "93", "92", "94"}

// StackPrefix is the prefix of a stack's lines ("blog | "), its name
// coloured, one colour per stack, when the stream takes colour.
func (st Style) StackPrefix(name string) string {
	if !st.color {
		return name + " | "
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return st.wrap(palette[h.Sum32()%uint32(len(palette))], name) + " | "
}
