package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v4"
)

// Limits on what one compose file may expand to through YAML aliases
// (*name). The YAML library refuses a document that is mostly aliases
// (the classic "billion laughs"), but not a few thousand aliases of one
// large list: 60 KB that compose-go would expand to 150 MB and half a
// minute of work. A real compose file of a few hundred services stays
// far below both limits.
const (
	// MaxExpandedNodes is how many YAML nodes (mappings, lists, scalars)
	// a compose file may expand to.
	MaxExpandedNodes = 200_000
	// MaxExpandedBytes is how many bytes of scalars (keys and values) a
	// compose file may expand to.
	MaxExpandedBytes = 16 << 20
)

// ErrTooLarge is the error of a compose file whose aliases expand beyond
// [MaxExpandedNodes] or [MaxExpandedBytes].
var ErrTooLarge = errors.New("YAML aliases expand to more than the limit")

// CheckExpansion returns an error naming file when data, a compose file,
// would expand through its aliases beyond [MaxExpandedNodes] nodes or
// [MaxExpandedBytes] bytes. It parses the file once, without expanding
// anything (each anchor's size is counted once): its time and memory are
// those of the file's size. A file that does not parse is left to the
// loader, which says where.
func CheckExpansion(file string, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var total expansion
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return nil // a syntax error: the loader reports it
		}
		c := expander{memo: map[*yaml.Node]expansion{}}
		total = total.add(c.size(&doc))
		if total.over() {
			return fmt.Errorf("%s: %w (%d nodes, %d MiB of text): refused, as a YAML bomb", file, ErrTooLarge, MaxExpandedNodes, MaxExpandedBytes>>20)
		}
	}
}

// expansion is the size of a YAML node with every alias replaced by what
// it names; saturating, so that an exponential document does not
// overflow.
type expansion struct{ nodes, bytes int64 }

func (e expansion) add(o expansion) expansion {
	e.nodes = min(e.nodes+o.nodes, MaxExpandedNodes+1)
	e.bytes = min(e.bytes+o.bytes, MaxExpandedBytes+1)
	return e
}

func (e expansion) over() bool { return e.nodes > MaxExpandedNodes || e.bytes > MaxExpandedBytes }

type expander struct {
	memo map[*yaml.Node]expansion
	// busy are the nodes being counted: an alias back into one of them
	// (a recursive document) is counted once, and the loader refuses it.
	busy map[*yaml.Node]bool
}

func (x *expander) size(n *yaml.Node) expansion {
	if n == nil {
		return expansion{}
	}
	if e, ok := x.memo[n]; ok {
		return e
	}
	if x.busy == nil {
		x.busy = map[*yaml.Node]bool{}
	}
	if x.busy[n] {
		return expansion{nodes: 1}
	}
	x.busy[n] = true
	defer delete(x.busy, n)
	e := expansion{nodes: 1, bytes: int64(len(n.Value))}
	if n.Kind == yaml.AliasNode {
		e = x.size(n.Alias)
	} else {
		for _, c := range n.Content {
			if e = e.add(x.size(c)); e.over() {
				break
			}
		}
	}
	x.memo[n] = e
	return e
}
