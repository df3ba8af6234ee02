package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/efa-marktplatz/registry/schema"
)

// HTTP reaches the registry through its REST API, as a portal does: acts
// are posted where /v1/eip712 says, member administration carries the
// member's bearer token. The API's member org vouches for every party, so
// the member an act names is ignored.
type HTTP struct {
	URL       string // e.g. http://127.0.0.1:8080
	Token     string // the member's bearer token
	ChannelID string
	Client    *http.Client // default http.DefaultClient

	once      sync.Once
	endpoints map[string]schema.EIP712Endpoint
	err       error
}

// Channel implements Registry.
func (h *HTTP) Channel() string { return h.ChannelID }

// RegisterParty implements Registry.
func (h *HTTP) RegisterParty(ctx context.Context, _ string, reg schema.PartyRegistration) (json.RawMessage, error) {
	reg.Normalize()
	return h.post(ctx, http.MethodPost, "/v1/parties", reg, true)
}

// RecordFigures implements Registry: the figures as recorded.
func (h *HTTP) RecordFigures(ctx context.Context, _ string, b schema.FigureBatch) (json.RawMessage, error) {
	raw, err := h.post(ctx, http.MethodPost, "/v1/figures", b, true)
	if err != nil {
		return nil, err
	}
	var out struct {
		Figures json.RawMessage `json:"figures"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("scenario: figures: %w", err)
	}
	return out.Figures, nil
}

// SetPartyDetails implements Registry.
func (h *HTTP) SetPartyDetails(ctx context.Context, _, party string, d schema.PartyDetails) (json.RawMessage, error) {
	d.Normalize()
	return h.post(ctx, http.MethodPut, "/v1/parties/"+party+"/details", d, true)
}

// Act implements Registry.
func (h *HTTP) Act(ctx context.Context, _ string, act *schema.Act) (json.RawMessage, error) {
	h.once.Do(func() { h.endpoints, h.err = h.signingEndpoints(ctx) })
	if h.err != nil {
		return nil, h.err
	}
	e, ok := h.endpoints[act.Type()]
	if !ok {
		return nil, fmt.Errorf("scenario: the API has no endpoint for %s", act.Type())
	}
	path := e.Path
	if e.PathField != "" {
		id, _, err := act.Field(e.PathField)
		if err != nil {
			return nil, err
		}
		path = strings.Replace(path, "{id}", fmt.Sprint(id), 1)
	}
	body, err := act.Request()
	if err != nil {
		return nil, err
	}
	return h.post(ctx, e.Method, path, body, act.Authority == schema.ByMember)
}

func (h *HTTP) client() *http.Client {
	if h.Client != nil {
		return h.Client
	}
	return http.DefaultClient
}

func (h *HTTP) signingEndpoints(ctx context.Context) (map[string]schema.EIP712Endpoint, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/v1/eip712", nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("scenario: signing material from %s: %w", h.URL, err)
	}
	defer resp.Body.Close()
	var m schema.EIP712
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, fmt.Errorf("scenario: signing material from %s: %w", h.URL, err)
	}
	return m.Endpoints, nil
}

// StatusError is an answer of the API other than 2xx.
type StatusError struct {
	Method, Path string
	Status       int
	Body         []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("scenario: %s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

func (h *HTTP) post(ctx context.Context, method, path string, body any, member bool) (json.RawMessage, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL+path, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if member {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("scenario: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scenario: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: out}
	}
	return out, nil
}
