package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/schema/identifier"
)

// catalogueFilters are the catalogue's query parameters, passed to
// /v1/offerings as they are: the API checks them.
var catalogueFilters = []string{"q", "themenfeld", "kind", "supplier", "anbieter", "status", "leika"}

// option is one choice of a filter's select.
type option struct {
	Value, Label string
}

type cataloguePage struct {
	Title      string
	Query      map[string]string
	Themenfeld []option
	Kinds      []option
	Statuses   []option
	Offerings  []offeringRow
	Problem    *problemError
	NextURL    string
	FirstURL   string
	Paged      bool
	PageSize   int
	Filtered   bool
}

type offeringRow struct {
	schema.Offering
	SupplierName, AnbieterName string
}

// cataloguePageSize is how many offerings a catalogue page lists, unless
// ?limit= asks for another number (the API's bound applies).
const cataloguePageSize = 50

func (s *Site) catalogue(w http.ResponseWriter, r *http.Request) {
	in := r.URL.Query()
	p := cataloguePage{Title: "Katalog", Query: map[string]string{}, PageSize: cataloguePageSize}
	q := url.Values{"limit": {strconv.Itoa(cataloguePageSize)}}
	if l := in.Get("limit"); l != "" {
		p.Query["limit"] = l // the API checks it
		q.Set("limit", l)
	}
	for _, f := range catalogueFilters {
		if v := in.Get(f); v != "" {
			p.Query[f] = v
			q.Set(f, v)
			p.Filtered = true
		}
	}
	if !in.Has("status") {
		// The marketplace shows what is on offer unless asked otherwise
		// (the form's "alle" sends an empty status).
		p.Query["status"] = schema.OfferingPublished
		q.Set("status", schema.OfferingPublished)
	}
	if c := in.Get("cursor"); c != "" {
		q.Set("cursor", c)
		p.Paged = true
	}
	for _, t := range identifier.Themenfelder {
		p.Themenfeld = append(p.Themenfeld, option{t, t})
	}
	for _, k := range schema.OfferingKinds {
		p.Kinds = append(p.Kinds, option{k, offeringKinds[k]})
	}
	for _, st := range schema.OfferingStatuses {
		p.Statuses = append(p.Statuses, option{st, offeringStatuses[st]})
	}
	status := http.StatusOK
	got, err := list[schema.Offering](r.Context(), s.read, "/v1/offerings", q)
	switch {
	case err != nil && statusOf(err) == http.StatusBadRequest:
		p.Problem = problemOf(err)
		status = http.StatusBadRequest
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		names := s.partyNames(r.Context())
		for _, o := range got.Items {
			p.Offerings = append(p.Offerings, offeringRow{Offering: o, SupplierName: names(o.Supplier), AnbieterName: names(o.Anbieter)})
		}
		if got.NextCursor != "" {
			next := url.Values{}
			for k, v := range p.Query {
				next.Set(k, v)
			}
			next.Set("cursor", got.NextCursor)
			p.NextURL = "/?" + next.Encode()
		}
		first := url.Values{}
		for k, v := range p.Query {
			first.Set(k, v)
		}
		p.FirstURL = "/?" + first.Encode()
	}
	s.render(w, r, status, "catalogue", p)
}

// partyNames returns a lookup of party names for one page, each party read
// once; a party that cannot be read shows by its id.
func (s *Site) partyNames(ctx context.Context) func(id string) string {
	seen := map[string]string{}
	return func(id string) string {
		if n, ok := seen[id]; ok {
			return n
		}
		var p schema.Party
		name := id
		if err := s.read.get(ctx, "/v1/parties/"+url.PathEscape(id), nil, &p); err == nil && p.Name != "" {
			name = p.Name
		}
		seen[id] = name
		return name
	}
}

// problemOf returns the API's problem in err, or a generic one.
func problemOf(err error) *problemError {
	if p, ok := asProblem(err); ok {
		return p
	}
	return &problemError{Status: http.StatusInternalServerError, Detail: "Die Anfrage konnte nicht beantwortet werden."}
}
