package xrechnung

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// UBL 2.1 namespaces.
const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
	nsEXT        = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
)

// prefixNS maps the prefixes used in rule paths to namespaces; nsPrefix is its inverse.
var (
	prefixNS = map[string]string{"ubl": nsInvoice, "cn": nsCreditNote, "cac": nsCAC, "cbc": nsCBC, "ext": nsEXT}
	nsPrefix = map[string]string{nsInvoice: "ubl", nsCreditNote: "cn", nsCAC: "cac", nsCBC: "cbc", nsEXT: "ext"}
)

// node is an element of a parsed document: a namespace-aware generic tree.
type node struct {
	space, local string // namespace URI and local name
	attrs        []xml.Attr
	text         string // the element's own character data
	kids         []*node
	parent       *node
}

// parseTree parses an XML document into a tree of elements. Comments, processing instructions
// and the prolog are dropped; CR LF is normalised to LF as XML requires.
func parseTree(doc []byte) (*node, error) {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var root, cur *node
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == nil && root != nil {
				return nil, errors.New("more than one root element")
			}
			if cur != nil {
				cur.text += text.String()
			}
			text.Reset()
			n := &node{space: t.Name.Space, local: t.Name.Local, parent: cur}
			for _, a := range t.Attr {
				if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
					n.attrs = append(n.attrs, a)
				}
			}
			if cur == nil {
				root = n
			} else {
				cur.kids = append(cur.kids, n)
			}
			cur = n
		case xml.EndElement:
			cur.text += text.String()
			text.Reset()
			cur = cur.parent
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			text.Write(t)
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	if cur != nil {
		return nil, errors.New("unexpected end of document")
	}
	return root, nil
}

// is reports whether n has the qualified name qname ("cac:Party").
func (n *node) is(qname string) bool {
	if n == nil {
		return false
	}
	prefix, local, ok := strings.Cut(qname, ":")
	if !ok {
		return n.local == qname
	}
	return n.local == local && n.space == prefixNS[prefix]
}

// children returns the children of n named qname.
func (n *node) children(qname string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.is(qname) {
			out = append(out, k)
		}
	}
	return out
}

// all returns the nodes reached from n by a relative path of qualified names
// ("cac:Party/cac:PostalAddress/cbc:CityName"), in document order.
func (n *node) all(path string) []*node {
	if n == nil {
		return nil
	}
	cur := []*node{n}
	for _, step := range strings.Split(path, "/") {
		var next []*node
		for _, c := range cur {
			next = append(next, c.children(step)...)
		}
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

// first returns the first node reached by path, or nil.
func (n *node) first(path string) *node {
	if nodes := n.all(path); len(nodes) > 0 {
		return nodes[0]
	}
	return nil
}

// has reports whether path reaches at least one node (XPath exists()).
func (n *node) has(path string) bool { return n.first(path) != nil }

// val returns normalize-space() of the first node reached by path, "" if there is none.
func (n *node) val(path string) string { return normalizeSpace(n.first(path).value()) }

// nonBlank reports whether path reaches a node whose normalized value is not empty
// (XPath path[boolean(normalize-space(.))]).
func (n *node) nonBlank(path string) bool {
	for _, m := range n.all(path) {
		if normalizeSpace(m.value()) != "" {
			return true
		}
	}
	return false
}

// descendants returns all descendants of n named qname in document order (XPath .//qname).
func (n *node) descendants(qname string) []*node {
	var out []*node
	n.walk(func(m *node) {
		if m != n && m.is(qname) {
			out = append(out, m)
		}
	})
	return out
}

// walk calls f for n and every descendant in document order.
func (n *node) walk(f func(*node)) {
	if n == nil {
		return
	}
	f(n)
	for _, k := range n.kids {
		k.walk(f)
	}
}

// hasAncestor reports whether an ancestor of n is named qname.
func (n *node) hasAncestor(qname string) bool {
	for p := n.parent; p != nil; p = p.parent {
		if p.is(qname) {
			return true
		}
	}
	return false
}

// value returns the XPath string value: the concatenated text of n and its descendants.
func (n *node) value() string {
	if n == nil {
		return ""
	}
	if len(n.kids) == 0 {
		return n.text
	}
	var b strings.Builder
	b.WriteString(n.text)
	for _, k := range n.kids {
		b.WriteString(k.value())
	}
	return b.String()
}

// attr returns the value of the unqualified attribute name and whether it is present.
func (n *node) attr(name string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// qname returns the prefixed name of n as used in paths.
func (n *node) qname() string {
	if p, ok := nsPrefix[n.space]; ok {
		return p + ":" + n.local
	}
	return n.local
}

// path returns an XPath-like location such as /ubl:Invoice/cac:InvoiceLine[2]/cbc:ID; the
// position is given when the element has siblings of the same name.
func (n *node) path() string {
	if n == nil {
		return ""
	}
	if n.parent == nil {
		return "/" + n.qname()
	}
	same, pos := 0, 0
	for _, s := range n.parent.kids {
		if s.space == n.space && s.local == n.local {
			same++
			if s == n {
				pos = same
			}
		}
	}
	step := n.qname()
	if same > 1 {
		step += "[" + strconv.Itoa(pos) + "]"
	}
	return n.parent.path() + "/" + step
}

// String implements fmt.Stringer for debugging.
func (n *node) String() string { return fmt.Sprintf("%s=%q", n.path(), n.value()) }

// normalizeSpace implements XPath normalize-space(): it strips leading and trailing XML
// whitespace (space, tab, CR, LF) and collapses inner runs to one space.
func normalizeSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, isXMLSpace), " ")
}

// isXMLSpace reports whether r is XML whitespace.
func isXMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// isBlank reports whether s is empty after normalize-space().
func isBlank(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !isXMLSpace(r) }) < 0
}
