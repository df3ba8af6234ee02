package api_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

type agreementPage struct {
	Items      []schema.Agreement `json:"items"`
	NextCursor string             `json:"nextCursor"`
}

// interest opens n agreements of the scenario's customer and returns
// their ids, in the order opened.
func interest(t *testing.T, s *market, base string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		id := s.id(fmt.Sprintf("%s-%d", base, i))
		r := s.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: id, Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: s.replay()}, s.Customer.Key)
		require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
		ids = append(ids, id)
	}
	return ids
}

func TestReadModelListings(t *testing.T) { onEachBackend(t, testReadModelListings) }

func testReadModelListings(t *testing.T, h *harness) {
	s := h.scenario()
	ids := interest(t, s, "rm", 4)
	ids = append(ids, s.id("rm-9")) // sorts last by id, opened below during the walk
	list := func(query string) agreementPage {
		t.Helper()
		r := h.get("/v1/agreements?" + query)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var p agreementPage
		r.json(t, &p)
		return p
	}
	idsOf := func(p agreementPage) []string {
		out := []string{}
		for _, a := range p.Items {
			out = append(out, a.ID)
		}
		return out
	}

	// Filters combine freely.
	all := "customer=" + s.Customer.ID + "&offering=" + s.Offering.Offering + "&status=interest"
	require.Equal(t, ids[:4], idsOf(list(all)))
	require.Empty(t, list(all+"&anbieter="+s.Supplier.ID).Items, "the supplier is not the Anbieter")
	// Sorting: newest first.
	require.Equal(t, []string{ids[3], ids[2], ids[1], ids[0]}, idsOf(list(all+"&sort=-created")))

	// A walk with a stable cursor: an agreement opened between pages is
	// met once, where its order puts it, and nothing is repeated or skipped.
	p := list(all + "&limit=3")
	got := idsOf(p)
	require.NotEmpty(t, p.NextCursor)
	r := s.act("/v1/agreements", &schema.ExpressInterestMessage{Agreement: ids[4], Offering: s.Offering.Offering, Customer: s.Customer.ID, Replay: s.replay()}, s.Customer.Key)
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	for p.NextCursor != "" {
		p = list(all + "&limit=3&cursor=" + p.NextCursor)
		got = append(got, idsOf(p)...)
	}
	require.Equal(t, ids, got)

	// A cursor belongs to its listing.
	first := list(all + "&limit=1")
	r = h.get("/v1/agreements?customer=" + s.Customer.ID + "&limit=1&cursor=" + first.NextCursor)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "cursor", r.problem(t).Field)

	// The catalogue search: words of the title, any case, as prefixes; the
	// supplier's id; no FTS syntax is interpreted.
	search := func(q string) []string {
		t.Helper()
		r := h.get("/v1/offerings?supplier=" + s.Supplier.ID + "&q=" + url.QueryEscape(q))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		var page struct{ Items []schema.Offering }
		r.json(t, &page)
		var out []string
		for _, o := range page.Items {
			out = append(out, o.Offering)
		}
		return out
	}
	// A second offering of the supplier, with an OZG-ID.
	m := s.Bauantrag(1)
	m.Offering, m.Title, m.Description, m.OZGIDs = s.id("kfz-zulassung"), "Kfz-Zulassung", "Fahrzeuge an-, um- und abmelden", []string{"10169"}
	m.LeiKaKeys = []string{"99999999000003"}
	kfz, err := s.Builder.Offering(context.Background(), s.Supplier, s.Anbieter, m, false)
	require.NoError(t, err)
	require.Equal(t, []string{kfz.Offering}, search("10169"), "an OZG-ID")
	require.Equal(t, []string{kfz.Offering}, search("zulassung"), "a word inside a compound is not a prefix, but the hyphenated part is")
	require.ElementsMatch(t, []string{s.Offering.Offering, kfz.Offering}, search(s.Supplier.ID))
	r = h.get("/v1/offerings?supplier=" + s.Supplier.ID + "&status=submitted&q=kfz")
	require.Equal(t, http.StatusOK, r.status)
	var submitted struct{ Items []schema.Offering }
	r.json(t, &submitted)
	require.Len(t, submitted.Items, 1, "the search combines with the filters")
	require.Equal(t, kfz.Offering, submitted.Items[0].Offering)

	want := []string{s.Offering.Offering}
	require.Equal(t, want, search("bauantrag"))
	require.Equal(t, want, search("DIGITALER Bauan"))
	require.Equal(t, want, search("baugenehmigung"), "the description")
	require.ElementsMatch(t, []string{s.Offering.Offering, kfz.Offering}, search("mecklenburg"), "the supplier's name")
	require.Equal(t, want, search("99999999000000"), "a LeiKa key")
	require.Empty(t, search("Führerschein"))
	require.Empty(t, search(`bau* OR "x" NEAR(`), "FTS5 syntax is taken as words")

	for _, c := range []struct{ path, field string }{
		{"/v1/agreements?sort=title", "sort"},
		{"/v1/agreements?q=bau", "q"},
		{"/v1/offerings?q=%20", "q"},
		{"/v1/agreements?status=BOGUS&customer=" + s.Customer.ID, "status"},
	} {
		r := h.get(c.path)
		require.Equal(t, http.StatusBadRequest, r.status, c.path)
		require.Equal(t, c.field, r.problem(t).Field, c.path)
	}
}

// sseEvent is one event of a stream as a client parses it.
type sseEvent struct {
	id, name string
	data     []byte
}

// readEvents parses Server-Sent Events, sending each event and each
// comment (name ":") until the stream ends.
func readEvents(body io.Reader, out chan<- sseEvent) {
	defer close(out)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" || ev.id != "" {
				out <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			out <- sseEvent{name: ":"}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = []byte(line[6:])
		}
	}
}

// subscribe opens the feed (the stream is not checked against the
// document: it never ends).
func subscribe(t *testing.T, h *harness, query, lastEventID string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"/v1/events?"+query, nil)
	require.NoError(t, err)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan sseEvent, 1024)
	go readEvents(resp.Body, out)
	return out, func() { cancel(); _ = resp.Body.Close() }
}

// next returns the next event that is not a heartbeat.
func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-events:
			require.True(t, ok, "the stream ended")
			if ev.name != ":" {
				return ev
			}
		case <-time.After(30 * time.Second):
			require.FailNow(t, "no event within 30 s")
		}
	}
}

func TestEventFeedResumesExactly(t *testing.T) { onEachBackend(t, testEventFeed) }

func testEventFeed(t *testing.T, h *harness) {
	s := h.scenario()
	events, stop := subscribe(t, h, "party="+s.Customer.ID+"&record=agreement", "")
	ids := interest(t, s, "feed", 3)
	var last sseEvent
	for _, id := range ids {
		ev := next(t, events)
		var e readmodel.Event
		require.NoError(t, json.Unmarshal(ev.data, &e))
		require.Equal(t, "InterestExpressed", ev.name)
		require.Equal(t, e.ID, ev.id)
		require.Equal(t, id, e.RecordID)
		require.Equal(t, "agreement", e.Record)
		require.Equal(t, "INTEREST", e.Status)
		require.Contains(t, e.Parties, s.Customer.ID)
		require.Equal(t, fmt.Sprintf("%d-%d", e.BlockNumber, e.TxIndex), e.ID)
		_, err := time.Parse(time.RFC3339Nano, e.Timestamp)
		require.NoError(t, err)
		// The hash is the record's as stored: the ledger's history holds it.
		r := h.get(agreementPath(id, "history"))
		var hist struct{ Items []schema.HistoryEntry }
		r.json(t, &hist)
		require.Len(t, hist.Items, 1)
		sum := sha256.Sum256(hist.Items[0].Value)
		require.Equal(t, "0x"+hex.EncodeToString(sum[:]), e.RecordHash)
		require.Equal(t, hist.Items[0].TxID, e.TxID)
		last = ev
	}
	stop()

	// Acts while nobody listens; a reconnect with Last-Event-ID receives
	// exactly those, in order.
	more := interest(t, s, "feed-more", 2)
	events, stop = subscribe(t, h, "party="+s.Customer.ID+"&record=agreement", last.id)
	defer stop()
	for _, id := range more {
		var e readmodel.Event
		require.NoError(t, json.Unmarshal(next(t, events).data, &e))
		require.Equal(t, id, e.RecordID)
	}
	select {
	case ev := <-events:
		require.Equal(t, ":", ev.name, "no event beyond those: %s %s", ev.id, ev.data)
	case <-time.After(200 * time.Millisecond):
	}

	for _, c := range []struct{ header, query, field string }{
		{"12", "", "Last-Event-ID"},
		{"", "after=x-1", "after"},
	} {
		hdr := map[string]string{}
		if c.header != "" {
			hdr["Last-Event-ID"] = c.header
		}
		r := h.do(http.MethodGet, "/v1/events?"+c.query, nil, hdr, true)
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Equal(t, c.field, r.problem(t).Field)
	}
}

// blockingWriter is a consumer that reads only when the test says so:
// the handler's writes block on the pipe.
type blockingWriter struct {
	header  http.Header
	pw      *io.PipeWriter
	pending atomic.Int32 // writes waiting for the reader
}

// blocked reports whether a write has been waiting for the reader (that
// is, the handler is stuck on its consumer).
func (w *blockingWriter) blocked() bool {
	for range 20 {
		if w.pending.Load() > 0 {
			time.Sleep(50 * time.Millisecond)
			return w.pending.Load() > 0
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func (w *blockingWriter) Header() http.Header { return w.header }
func (w *blockingWriter) WriteHeader(int)     {}
func (w *blockingWriter) Write(b []byte) (int, error) {
	w.pending.Add(1)
	defer w.pending.Add(-1)
	return w.pw.Write(b)
}
func (w *blockingWriter) Flush() {}

// gatedReader stops reading, once hold is set, until gate is closed.
type gatedReader struct {
	r    io.Reader
	hold atomic.Bool
	gate chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.hold.Load() {
		<-g.gate
	}
	return g.r.Read(p)
}

func TestEventFeedHeartbeatsAndDropsASlowConsumer(t *testing.T) {
	h := newEmbedded(t, api.Config{Events: api.EventsConfig{Heartbeat: 20 * time.Millisecond, MaxLag: 5}})
	s := h.scenario()

	// Heartbeats while nothing happens.
	events, stop := subscribe(t, h, "", "")
	for range 3 {
		select {
		case ev := <-events:
			require.Equal(t, ":", ev.name)
		case <-time.After(5 * time.Second):
			require.FailNow(t, "no heartbeat")
		}
	}
	stop()

	// A consumer that stops reading: acts go on meanwhile, and when it
	// reads again it gets what was written, then a final event saying why
	// it is dropped.
	pr, pw := io.Pipe()
	req := httptest.NewRequest(http.MethodGet, "/v1/events?party="+s.Customer.ID, nil)
	w := &blockingWriter{header: http.Header{}, pw: pw}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.api.ServeHTTP(w, req)
		_ = pw.Close()
	}()
	out := make(chan sseEvent, 1024)
	gate := &gatedReader{r: pr, gate: make(chan struct{})}
	go readEvents(gate, out)
	// The consumer takes one event, so the stream is live; then it stops
	// reading, and acts go on until the handler is stuck writing to it.
	interest(t, s, "slow-first", 1)
	first := next(t, out)
	require.Equal(t, "InterestExpressed", first.name)
	gate.hold.Store(true)
	for i := 0; !w.blocked(); i++ {
		require.Less(t, i, 20, "the handler never blocked on its consumer")
		interest(t, s, fmt.Sprintf("slow-nudge-%d", i), 1)
	}
	interest(t, s, "slow", 12) // the server is not stalled by the consumer
	close(gate.gate)
	var last sseEvent
	for ev := range out {
		if ev.name != ":" {
			last = ev
		}
	}
	<-done
	require.Equal(t, "disconnect", last.name, "%s", last.data)
	var d api.Disconnect
	require.NoError(t, json.Unmarshal(last.data, &d))
	require.Contains(t, d.Reason, "slow consumer")
	require.NotEmpty(t, d.LastEventID)
}
