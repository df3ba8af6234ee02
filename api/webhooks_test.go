package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/webhook"
	"github.com/stretchr/testify/require"
)

// receiver is a webhook receiver whose answers a test scripts: it records
// every delivery and answers by the behaviour of its attempt number.
type receiver struct {
	t      *testing.T
	secret []byte
	srv    *http.Server
	ln     net.Listener
	addr   string

	mu       sync.Mutex
	attempts int
	behave   func(attempt int) (status int, delay time.Duration)
	acked    []string // event ids answered 2xx, in order
	headers  []http.Header
}

func newReceiver(t *testing.T, behave func(int) (int, time.Duration)) *receiver {
	r := &receiver{t: t, behave: behave}
	r.listen("127.0.0.1:0")
	return r
}

func (r *receiver) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	require.NoError(r.t, err)
	r.ln, r.addr = ln, ln.Addr().String()
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	r.t.Cleanup(func() { _ = r.srv.Close() })
}

func (r *receiver) url() string { return "http://" + r.addr + "/hooks/registry" }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	require.NoError(r.t, err)
	r.mu.Lock()
	r.attempts++
	status, delay := r.behave(r.attempts)
	secret := r.secret
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	require.NoError(r.t, webhook.Verify(secret, req.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute), "every delivery is signed")
	var ev readmodel.Event
	require.NoError(r.t, json.Unmarshal(body, &ev))
	require.Equal(r.t, ev.ID, req.Header.Get("Registry-Event-Id"))
	time.Sleep(delay)
	if status/100 == 2 {
		r.mu.Lock()
		r.acked = append(r.acked, ev.ID)
		r.mu.Unlock()
	}
	w.WriteHeader(status)
}

// unique returns the acknowledged event ids without repeats (a receiver
// de-duplicates by the event id: delivery is at least once).
func (r *receiver) unique() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, id := range r.acked {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// feedIDs are the ids of the events the feed holds after a position that
// pass a filter.
func feedIDs(t *testing.T, rm *readmodel.Store, after string, f readmodel.EventFilter) []string {
	t.Helper()
	p, err := readmodel.ParsePosition(after)
	require.NoError(t, err)
	evs, err := rm.Events(context.Background(), p, f, 1000)
	require.NoError(t, err)
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestWebhookDeliveryRetriesPausesAndResumes(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	s := h.scenario()
	// Two refusals, then an answer slower than the timeout, then success.
	rcv := newReceiver(t, func(n int) (int, time.Duration) {
		switch n {
		case 1, 2:
			return http.StatusInternalServerError, 0
		case 3:
			return http.StatusOK, time.Second
		}
		return http.StatusNoContent, 0
	})
	start, err := h.readModel.LastEvent(context.Background())
	require.NoError(t, err)

	// Registration is member administration, checked field by field.
	r := h.do(http.MethodPost, "/v1/webhooks", map[string]any{"url": rcv.url()}, nil, false)
	require.Equal(t, http.StatusUnauthorized, r.status)
	for body, field := range map[string]string{
		`{"url":"ftp://x"}`:                            "url",
		`{"url":"` + rcv.url() + `","secret":"short"}`: "secret",
		`{"url":"` + rcv.url() + `","after":"x"}`:      "after",
		`{"url":"` + rcv.url() + `","colour":"red"}`:   "colour",
	} {
		r := h.do(http.MethodPost, "/v1/webhooks", body, map[string]string{"Authorization": "Bearer " + token}, false)
		require.Equal(t, http.StatusBadRequest, r.status, body)
		require.Equal(t, field, r.problem(t).Field, body)
	}
	filter := webhook.Filter{Party: s.Customer.ID, Record: "agreement"}
	r = h.do(http.MethodPost, "/v1/webhooks", webhook.NewSubscription{URL: rcv.url(), Filter: filter}, map[string]string{"Authorization": "Bearer " + token}, false)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	var created webhook.Created
	r.json(t, &created)
	require.Equal(t, webhook.Active, created.Status)
	require.NotEmpty(t, created.Secret)
	rcv.mu.Lock()
	rcv.secret = []byte(created.Secret)
	rcv.mu.Unlock()

	ids := interest(t, s, "hook", 3)
	want := feedIDs(t, h.readModel, start.String(), readmodel.EventFilter{Party: s.Customer.ID, Record: "agreement"})
	require.Len(t, want, len(ids))
	require.Eventually(t, func() bool { return len(rcv.unique()) == len(want) }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, want, rcv.unique(), "every event once at least, in ledger order")
	rcv.mu.Lock()
	require.Equal(t, "1", rcv.headers[0].Get("Registry-Delivery-Attempt"))
	require.Equal(t, "3", rcv.headers[2].Get("Registry-Delivery-Attempt"), "the retries of the first event")
	rcv.mu.Unlock()
	var sub webhook.Subscription
	require.Eventually(t, func() bool {
		h.do(http.MethodGet, "/v1/webhooks/"+created.ID, nil, map[string]string{"Authorization": "Bearer " + token}, false).json(t, &sub)
		return sub.Cursor == want[len(want)-1]
	}, 5*time.Second, 10*time.Millisecond)
	require.Zero(t, sub.Failures)
	require.Empty(t, sub.LastError)

	// The receiver goes away: the subscription fails five times in a row
	// and is paused, saying why.
	require.NoError(t, rcv.srv.Close())
	more := interest(t, s, "hook-away", 1)
	require.Eventually(t, func() bool {
		h.do(http.MethodGet, "/v1/webhooks/"+created.ID, nil, map[string]string{"Authorization": "Bearer " + token}, false).json(t, &sub)
		return sub.Status == webhook.Paused
	}, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, 5, sub.Failures)
	require.Contains(t, sub.LastError, "connection refused")
	require.Equal(t, want[len(want)-1], sub.Cursor, "the cursor stays at the last acknowledged event")

	// It comes back, and a member resumes the subscription at its cursor.
	rcv.listen(rcv.addr)
	r = h.do(http.MethodPost, "/v1/webhooks/"+created.ID+"/resume", "{}", map[string]string{"Authorization": "Bearer " + token}, false)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Eventually(t, func() bool { return len(rcv.unique()) == len(ids)+len(more) }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, feedIDs(t, h.readModel, start.String(), readmodel.EventFilter{Party: s.Customer.ID, Record: "agreement"}), rcv.unique())

	var list struct{ Items []webhook.Subscription }
	h.do(http.MethodGet, "/v1/webhooks", nil, map[string]string{"Authorization": "Bearer " + token}, false).json(t, &list)
	require.Len(t, list.Items, 1)
	r = h.do(http.MethodDelete, "/v1/webhooks/"+created.ID, nil, map[string]string{"Authorization": "Bearer " + token}, false)
	require.Equal(t, http.StatusNoContent, r.status)
	r = h.do(http.MethodGet, "/v1/webhooks/"+created.ID, nil, map[string]string{"Authorization": "Bearer " + token}, false)
	require.Equal(t, http.StatusNotFound, r.status)
}

// A restart (here: the delivering service stopped at any moment and opened
// again on its file) loses no event: delivery resumes at the stored cursor.
func TestWebhookDeliveryResumesAfterRestart(t *testing.T) {
	h := newEmbedded(t, api.Config{})
	s := h.scenario()
	rcv := newReceiver(t, func(int) (int, time.Duration) { return http.StatusOK, 5 * time.Millisecond })
	path := filepath.Join(t.TempDir(), "webhooks.sqlite")
	open := func() (*webhook.Service, func()) {
		svc, err := webhook.Open(context.Background(), path, h.readModel, webhookOptions)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		return svc, func() { cancel(); require.NoError(t, <-done); require.NoError(t, svc.Close()) }
	}
	svc, stop := open()
	created, err := svc.Create(context.Background(), webhook.NewSubscription{URL: rcv.url(), After: "0-0", Filter: webhook.Filter{Party: s.Customer.ID}})
	require.NoError(t, err)
	rcv.mu.Lock()
	rcv.secret = []byte(created.Secret)
	rcv.mu.Unlock()
	interest(t, s, "restart", 6)
	want := feedIDs(t, h.readModel, "0-0", readmodel.EventFilter{Party: s.Customer.ID})
	require.Eventually(t, func() bool { return len(rcv.unique()) >= 2 }, 10*time.Second, time.Millisecond)
	stop() // mid-way
	for range 3 {
		_, stop = open()
		time.Sleep(15 * time.Millisecond)
		stop()
	}
	_, stop = open()
	defer stop()
	require.Eventually(t, func() bool { return len(rcv.unique()) == len(want) }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, want, rcv.unique())
}
