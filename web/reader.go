package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
)

// reader reads the REST API in process: a GET served by the API's handler,
// its JSON answer decoded. The pages thereby read what a portal reads,
// through the same validation, read model and ledger.
type reader struct {
	api http.Handler
}

// problemError is an API refusal: the status and the RFC 9457 problem.
type problemError struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Field  string `json:"field"`
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
}

func (p *problemError) Error() string {
	msg := p.Detail
	if msg == "" {
		msg = p.Rule
	}
	if p.Field != "" {
		return fmt.Sprintf("%d %s: %s", p.Status, p.Field, msg)
	}
	return fmt.Sprintf("%d: %s", p.Status, msg)
}

// statusOf is the HTTP status an error carries (500 when none).
func statusOf(err error) int {
	var p *problemError
	if errors.As(err, &p) && p.Status != 0 {
		return p.Status
	}
	return http.StatusInternalServerError
}

// get reads path (with query) and decodes the answer into v.
func (r reader) get(ctx context.Context, path string, query url.Values, v any) error {
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("web: read %s: %w", path, err)
	}
	req.RemoteAddr = "127.0.0.1:0"
	rec := httptest.NewRecorder()
	r.api.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		p := &problemError{Status: rec.Code}
		if err := json.Unmarshal(rec.Body.Bytes(), p); err != nil || p.Status == 0 {
			p.Status, p.Detail = rec.Code, http.StatusText(rec.Code)
		}
		return fmt.Errorf("web: read %s: %w", path, p)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		return fmt.Errorf("web: read %s: decode: %w", path, err)
	}
	return nil
}

// page is one page of a listing as the API answers it.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// list reads one page of a listing.
func list[T any](ctx context.Context, r reader, path string, query url.Values) (*page[T], error) {
	var p page[T]
	if err := r.get(ctx, path, query, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// asProblem finds the API's problem in err.
func asProblem(err error) (*problemError, bool) {
	var p *problemError
	ok := errors.As(err, &p)
	return p, ok
}
