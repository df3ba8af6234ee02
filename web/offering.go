package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/efa-marktplatz/registry/schema"
)

type offeringPage struct {
	Title        string
	Offering     schema.Offering
	SupplierName string
	AnbieterName string
	Versions     []schema.OfferingVersion
	PriceModels  []schema.PriceModel
	Allocations  []allocationYear
	Agreements   int
	MoreThan     bool // the count stopped at maxCounted
}

// allocation is an offering's allocation for a year, as the API answers it.
type allocation struct {
	schema.Allocation
	Version   schema.Uint       `json:"version"`
	Published *schema.SignedAct `json:"published,omitempty"`
}

// allocationYear is a year of the offering's allocations: the allocation,
// or why the registry cannot compute it (e.g. a figure is missing).
type allocationYear struct {
	Year       int
	Allocation *allocation
	Problem    string
}

// maxCounted bounds the agreements counted for an offering page.
const maxCounted = 10000

func (s *Site) offering(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	base := "/v1/offerings/" + url.PathEscape(id)
	p := offeringPage{}
	if err := s.read.get(ctx, base, nil, &p.Offering); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Title = p.Offering.Title
	names := s.partyNames(ctx)
	p.SupplierName, p.AnbieterName = names(p.Offering.Supplier), names(p.Offering.Anbieter)
	for v := p.Offering.Version; v >= 1; v-- {
		var ov schema.OfferingVersion
		if err := s.read.get(ctx, base+"/versions/"+strconv.FormatUint(uint64(v), 10), nil, &ov); err != nil {
			s.fail(w, r, err)
			return
		}
		p.Versions = append(p.Versions, ov)
	}
	models, err := list[schema.PriceModel](ctx, s.read, base+"/price-models", url.Values{"limit": {"1000"}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.PriceModels = models.Items
	if len(p.PriceModels) > 0 {
		first := s.cfg.Now().Year()
		for _, pm := range p.PriceModels {
			y, err := strconv.Atoi(pm.ValidFrom[:min(4, len(pm.ValidFrom))])
			if err != nil {
				s.fail(w, r, fmt.Errorf("web: price model %d valid from %q: %w", pm.Version, pm.ValidFrom, err))
				return
			}
			first = min(first, y)
		}
		for y := s.cfg.Now().Year(); y >= max(first, s.cfg.Now().Year()-4); y-- {
			var a allocation
			err := s.read.get(ctx, base+"/allocations/"+strconv.Itoa(y), nil, &a)
			switch pe, ok := asProblem(err); {
			case err == nil:
				if a.Pool > 0 {
					p.Allocations = append(p.Allocations, allocationYear{Year: y, Allocation: &a})
				}
			case ok && pe.Status == http.StatusNotFound:
				// No price model in force that year.
			case ok && pe.Status < 500:
				p.Allocations = append(p.Allocations, allocationYear{Year: y, Problem: pe.Error()})
			default:
				s.fail(w, r, err)
				return
			}
		}
	}
	q := url.Values{"offering": {id}, "limit": {"1000"}}
	for {
		page, err := list[struct{}](ctx, s.read, "/v1/agreements", q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Agreements += len(page.Items)
		if page.NextCursor == "" {
			break
		}
		if p.Agreements >= maxCounted {
			p.MoreThan = true
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	s.render(w, r, http.StatusOK, "offering", p)
}
