package readmodel

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
)

// ErrNotFound: the read model holds no such record.
var ErrNotFound = errors.New("readmodel: no such record")

// ErrCursor: a cursor that is not one of this listing's.
var ErrCursor = errors.New("readmodel: not a cursor of this listing")

// Record returns a record as a read answers it (with its acts), from the
// read model.
func (s *Store) Record(ctx context.Context, ref schema.Ref) ([]byte, error) {
	var body []byte
	err := s.db.QueryRowContext(ctx, `SELECT body FROM records WHERE kind = ? AND id = ?`, string(ref.Record), ref.ID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s %s", ErrNotFound, ref.Record, ref.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("readmodel: read %s %s: %w", ref.Record, ref.ID, err)
	}
	return body, nil
}

// Listing is what a list asks for: filters (column = value, all must
// hold), a full-text query (offerings only), the order and a page.
type Listing struct {
	Filters map[string]string // by filter name (schema.OfferingFilters, AgreementFilters), values normalized
	Text    string            // words that must all occur (a word is a prefix)
	Sort    string            // a column of Sorts, "-" before it for descending; "" is "id"
	Limit   int
	Cursor  string // the previous page's Next
}

// Page is one page of a listing, in the listing's order.
type Page struct {
	Items []json.RawMessage
	Next  string // the cursor of the next page (JSON; callers wrap it); "" on the last
}

// Sorts are the orders a listing may ask for, by record kind.
var Sorts = map[schema.Record][]string{
	schema.RecordOffering:  {"id", "title", "created", "updated"},
	schema.RecordAgreement: {"id", "created", "updated"},
}

type table struct {
	name    string
	columns map[string]string // filter name -> SQL condition with one ?
}

var tables = map[schema.Record]table{
	schema.RecordOffering: {name: "offerings", columns: map[string]string{
		"themenfeld": "t.themenfeld = ?", "kind": "t.kind = ?", "supplier": "t.supplier = ?", "anbieter": "t.anbieter = ?", "status": "t.status = ?",
		"leika": "t.id IN (SELECT id FROM offering_leika WHERE leika = ?)",
	}},
	schema.RecordAgreement: {name: "agreements", columns: map[string]string{
		"customer": "t.customer = ?", "supplier": "t.supplier = ?", "anbieter": "t.anbieter = ?", "status": "t.status = ?", "offering": "t.offering = ?",
	}},
}

// cursor is where a page ends: the last item's sort value and id, and a
// digest of the listing it belongs to.
type cursor struct {
	Listing string `json:"l"`
	Value   any    `json:"v"`
	ID      string `json:"i"`
}

// List pages through offerings or agreements. The order is total (the
// sort column, then the id), and a cursor names the last item seen, so a
// page never repeats or skips an item that was there before the walk began.
func (s *Store) List(ctx context.Context, kind schema.Record, l Listing) (*Page, error) {
	t, ok := tables[kind]
	if !ok {
		return nil, fmt.Errorf("readmodel: no listing of %s", kind)
	}
	if l.Limit < 1 {
		return nil, fmt.Errorf("readmodel: list %s: a page of %d", kind, l.Limit)
	}
	col, desc := strings.CutPrefix(l.Sort, "-")
	if col == "" {
		col = "id"
	}
	if !slices.Contains(Sorts[kind], col) {
		return nil, fmt.Errorf("readmodel: sort %q: must be one of %s, each with - for descending", l.Sort, strings.Join(Sorts[kind], ", "))
	}
	var where []string
	var args []any
	names := make([]string, 0, len(l.Filters))
	for n := range l.Filters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cond, ok := t.columns[n]
		if !ok {
			return nil, fmt.Errorf("readmodel: no filter %q on %s", n, kind)
		}
		where, args = append(where, cond), append(args, l.Filters[n])
	}
	if l.Text != "" {
		if kind != schema.RecordOffering {
			return nil, fmt.Errorf("readmodel: no text search on %s", kind)
		}
		q := ftsQuery(l.Text)
		if q == "" {
			return nil, fmt.Errorf("readmodel: a search without words")
		}
		where = append(where, "t.id IN (SELECT id FROM offerings_fts WHERE offerings_fts MATCH ?)")
		args = append(args, q)
	}
	digest := listingDigest(kind, names, l)
	if l.Cursor != "" {
		c, err := decodeCursor(l.Cursor, digest)
		if err != nil {
			return nil, err
		}
		op := ">"
		if desc {
			op = "<"
		}
		if col == "id" {
			where, args = append(where, "t.id "+op+" ?"), append(args, c.ID)
		} else {
			where = append(where, fmt.Sprintf("(t.%s, t.id) %s (?, ?)", col, op))
			args = append(args, c.Value, c.ID)
		}
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	// The page's ids first, from the listing table and its indexes; the
	// records' bodies only for them.
	page := fmt.Sprintf(`SELECT t.id AS id, t.%s AS v FROM %s t`, col, t.name)
	if len(where) > 0 {
		page += " WHERE " + strings.Join(where, " AND ")
	}
	page += fmt.Sprintf(" ORDER BY t.%s %s, t.id %s LIMIT ?", col, dir, dir)
	q := fmt.Sprintf(`SELECT p.id, p.v, r.body FROM (%s) p JOIN records r ON r.kind = ? AND r.id = p.id ORDER BY p.v %s, p.id %s`, page, dir, dir)
	args = append(args, l.Limit+1, string(kind))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: list %s: %w", kind, err)
	}
	defer rows.Close()
	out := &Page{Items: []json.RawMessage{}}
	var last cursor
	for rows.Next() {
		var id string
		var value any
		var body []byte
		if err := rows.Scan(&id, &value, &body); err != nil {
			return nil, fmt.Errorf("readmodel: list %s: %w", kind, err)
		}
		if len(out.Items) == l.Limit {
			raw, err := json.Marshal(last)
			if err != nil {
				return nil, fmt.Errorf("readmodel: cursor: %w", err)
			}
			out.Next = string(raw)
			break
		}
		out.Items = append(out.Items, body)
		last = cursor{Listing: digest, Value: value, ID: id}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readmodel: list %s: %w", kind, err)
	}
	return out, nil
}

func listingDigest(kind schema.Record, names []string, l Listing) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", kind, l.Sort, l.Text)
	for _, n := range names {
		fmt.Fprintf(h, "\x00%s=%s", n, l.Filters[n])
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

func decodeCursor(s, digest string) (cursor, error) {
	var c cursor
	if err := json.Unmarshal([]byte(s), &c); err != nil || c.Listing != digest {
		return cursor{}, ErrCursor
	}
	if f, ok := c.Value.(float64); ok { // created/updated are integers
		c.Value = int64(f)
	}
	return c, nil
}

// ftsQuery turns words into an FTS5 query in which each word is a quoted
// prefix: no FTS5 syntax in the input is interpreted.
func ftsQuery(text string) string {
	var terms []string
	for _, w := range strings.Fields(text) {
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"*`)
	}
	return strings.Join(terms, " ")
}
