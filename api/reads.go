package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/gin-gonic/gin"
)

// Stamped is what every act answers besides the record it changed.
type Stamped struct {
	TxID        string      `json:"txId"`
	BlockNumber schema.Uint `json:"blockNumber"`
}

// ListPage is a page of a listing.
type ListPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// cached answers from the read cache while committed state is unchanged,
// keyed by the request's path and query; read runs on a miss.
func (a *API) cached(c *gin.Context, read func() ([]byte, error)) ([]byte, error) {
	version, cacheable := a.cfg.Client.StateVersion()
	if a.cfg.ReadModel != nil {
		// Acts answer once the read model has their block: keyed by its
		// progress, a cached answer is never older than the caller's act.
		version, cacheable = a.cfg.ReadModel.Next(), true
	}
	key := c.Request.URL.RequestURI()
	if cacheable {
		if out, ok := a.cache.get(version, key); ok {
			return out, nil
		}
	}
	out, err := read()
	if err == nil && cacheable {
		a.cache.put(version, key, out)
	}
	return out, err
}

// readHandler answers a read with its JSON.
func (a *API) readHandler(read reader) gin.HandlerFunc {
	return func(c *gin.Context) {
		out, err := a.cached(c, func() ([]byte, error) { return read(c.Request.Context(), c) })
		if err != nil {
			abort(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", out)
	}
}

// listHandler pages through a listing; the cursor wraps the ledger's bookmark.
func (a *API) listHandler(read lister) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := client.PageRequest{Size: 50}
		if s := c.Query("limit"); s != "" {
			var err error
			if p.Size, err = strconv.Atoi(s); err != nil || p.Size < 1 || p.Size > 1000 {
				abort(c, badRequest("limit", "must be a whole number from 1 to 1000"))
				return
			}
		}
		bookmark, err := base64.RawURLEncoding.DecodeString(c.Query("cursor"))
		if err != nil {
			abort(c, badRequest("cursor", "is not a cursor this API issued"))
			return
		}
		p.Bookmark = string(bookmark)
		out, err := a.cached(c, func() ([]byte, error) {
			page, err := read(c.Request.Context(), c, p)
			if err != nil {
				return nil, err
			}
			cursor := ""
			if page.Bookmark != "" {
				cursor = base64.RawURLEncoding.EncodeToString([]byte(page.Bookmark))
			}
			return pageJSON(page.Items, cursor), nil
		})
		if err != nil {
			var re *schema.Error
			if errors.As(err, &re) && re.Field == "bookmark" {
				err = badRequest("cursor", "is not a cursor of this listing")
			}
			abort(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", out)
	}
}

// oneFilter returns the one filter a listing was given, or none.
func oneFilter(c *gin.Context, names ...string) (client.Filter, error) {
	var f client.Filter
	for _, n := range names {
		if v, ok := c.GetQuery(n); ok {
			if f.By != "" {
				return client.Filter{}, badRequest(n, "one filter at a time: %s is given already", f.By)
			}
			if v == "" {
				return client.Filter{}, badRequest(n, "must not be empty")
			}
			f = client.Filter{By: n, Value: v}
		}
	}
	return f, nil
}

// pageJSON writes a ListPage around items that are JSON already (records as
// the ledger stored them): joined, not decoded and encoded again, which
// for a page of 50 agreements took a third of the listing's time.
func pageJSON(items []json.RawMessage, cursor string) []byte {
	n := len(`{"items":[],"nextCursor":""}`) + len(cursor)
	for _, it := range items {
		n += len(it) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, `{"items":[`...)
	for i, it := range items {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, it...)
	}
	out = append(out, ']')
	if cursor != "" { // base64url: nothing to escape
		out = append(out, `,"nextCursor":"`...)
		out = append(out, cursor...)
		out = append(out, '"')
	}
	return append(out, '}')
}
