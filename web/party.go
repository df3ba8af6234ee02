package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/efa-marktplatz/registry/schema"
)

type partyPage struct {
	Title      string
	Party      schema.Party
	InHouse    []partyRole
	Agreements []agreementRow
	More       bool // more agreements than listed
}

type agreementRow struct {
	schema.Agreement
	Role, OfferingTitle string
}

// partyAgreements bounds the agreements a party page lists per role.
const partyAgreements = 200

func (s *Site) party(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	var p partyPage
	if err := s.read.get(ctx, "/v1/parties/"+url.PathEscape(id), nil, &p.Party); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Title = p.Party.Name
	names := s.partyNames(ctx)
	for _, a := range p.Party.InHouse {
		p.InHouse = append(p.InHouse, partyRole{"Anbieter", a, names(a)})
	}
	titles := map[string]string{}
	title := func(offering string) string {
		if t, ok := titles[offering]; ok {
			return t
		}
		var o schema.Offering
		t := offering
		if err := s.read.get(ctx, "/v1/offerings/"+url.PathEscape(offering), nil, &o); err == nil {
			t = o.Title
		}
		titles[offering] = t
		return t
	}
	for _, role := range []struct{ filter, label string }{{"customer", "Kunde"}, {"supplier", "Bereitsteller"}, {"anbieter", "Anbieter"}} {
		page, err := list[schema.Agreement](ctx, s.read, "/v1/agreements", url.Values{role.filter: {id}, "limit": {strconv.Itoa(partyAgreements)}})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range page.Items {
			p.Agreements = append(p.Agreements, agreementRow{Agreement: a, Role: role.label, OfferingTitle: title(a.Offering)})
		}
		p.More = p.More || page.NextCursor != ""
	}
	s.render(w, r, http.StatusOK, "party", p)
}
