package api

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
)

// projected reports whether the read model answers reads of the kind.
func (a *API) projected(kind schema.Record) bool {
	return a.cfg.ReadModel != nil && kind.HasActs()
}

// readRecord reads a record: from the read model for parties, offerings
// and agreements when there is one, else from the ledger.
func (a *API) readRecord(ctx context.Context, ref schema.Ref) ([]byte, error) {
	if !a.projected(ref.Record) {
		return a.cfg.Client.Record(ctx, ref)
	}
	if !utf8.ValidString(ref.ID) || strings.ContainsAny(ref.ID, "\x00\U0010FFFF") {
		return nil, schema.Invalid("id", "is not a valid id")
	}
	out, err := a.cfg.ReadModel.Record(ctx, ref)
	if errors.Is(err, readmodel.ErrNotFound) {
		return nil, schema.NotFound("id", "no %s %s", ref.Record, ref.ID)
	}
	return out, err
}

// listProjected pages through offerings or agreements in the read model:
// the filters combined, q (offerings), sort.
func (a *API) listProjected(ctx context.Context, c *gin.Context, kind schema.Record, names []string, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
	l := readmodel.Listing{Filters: map[string]string{}, Limit: p.Size, Cursor: p.Bookmark, Sort: c.Query("sort")}
	for _, n := range names {
		v, ok := c.GetQuery(n)
		if !ok {
			continue
		}
		if v == "" {
			return nil, badRequest(n, "must not be empty")
		}
		v, err := schema.NormalizeFilter(kind, n, v)
		if err != nil {
			return nil, err
		}
		l.Filters[n] = v
	}
	if q, ok := c.GetQuery("q"); ok {
		if kind != schema.RecordOffering {
			return nil, badRequest("q", "text search is for offerings")
		}
		if strings.TrimSpace(q) == "" || len(q) > 200 || !utf8.ValidString(q) {
			return nil, badRequest("q", "must be 1 to 200 characters of text")
		}
		l.Text = q
	}
	col, _ := strings.CutPrefix(l.Sort, "-")
	if col != "" && !slices.Contains(readmodel.Sorts[kind], col) {
		return nil, badRequest("sort", "must be one of %s, each with - before it for descending", strings.Join(readmodel.Sorts[kind], ", "))
	}
	page, err := a.cfg.ReadModel.List(ctx, kind, l)
	if errors.Is(err, readmodel.ErrCursor) {
		return nil, badRequest("cursor", "is not a cursor of this listing")
	}
	if err != nil {
		return nil, err
	}
	return &schema.Page[json.RawMessage]{Items: page.Items, Bookmark: page.Next}, nil
}
