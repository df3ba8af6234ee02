package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/gin-gonic/gin"
)

// The event feed's limits (Config.Events overrides them in tests).
const (
	defaultHeartbeat    = 15 * time.Second
	defaultMaxLag       = 10000
	defaultWriteTimeout = 10 * time.Second
	eventBatch          = 256
)

// EventsConfig tunes the event feed.
type EventsConfig struct {
	// Heartbeat is the longest silence on a stream: a comment line is
	// sent after it (default 15 s).
	Heartbeat time.Duration
	// MaxLag is how many events a consumer that has caught up may fall
	// behind the newest before it is disconnected (default 10,000).
	MaxLag int64
	// WriteTimeout bounds one write to a consumer (default 10 s).
	WriteTimeout time.Duration
}

// Disconnect is the data of the final "disconnect" event of a stream the
// server ends.
type Disconnect struct {
	Reason string `json:"reason"`
	// LastEventID is the id of the last event sent: reconnect with it as
	// Last-Event-ID to resume.
	LastEventID string `json:"lastEventId,omitempty"`
}

// eventFilter reads a stream's filters from the query.
func eventFilter(c *gin.Context) (readmodel.EventFilter, error) {
	f := readmodel.EventFilter{Record: c.Query("record"), ID: c.Query("id"), Party: c.Query("party")}
	for _, v := range c.QueryArray("act") {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				f.Acts = append(f.Acts, a)
			}
		}
	}
	for name, v := range map[string]string{"record": f.Record, "id": f.ID, "party": f.Party} {
		if len(v) > 200 {
			return f, badRequest(name, "must be at most 200 characters")
		}
	}
	return f, nil
}

// startPosition is where a stream starts: after Last-Event-ID (or the
// after parameter), else at the newest event (live only).
func (a *API) startPosition(c *gin.Context) (readmodel.Position, error) {
	field, id := "Last-Event-ID", c.GetHeader("Last-Event-ID")
	if id == "" {
		field, id = "after", c.Query("after")
	}
	if id == "" {
		return a.cfg.ReadModel.LastEvent(c.Request.Context())
	}
	p, err := readmodel.ParsePosition(id)
	if err != nil {
		return p, badRequest(field, "must be an event id this feed sent (block-txIndex)")
	}
	return p, nil
}

// events serves the event feed as Server-Sent Events: every committed act
// after the start, in ledger order, each with its position as id; then
// live. See EventsConfig for heartbeats and slow consumers.
func (a *API) events(c *gin.Context) {
	rm := a.cfg.ReadModel
	filter, err := eventFilter(c)
	if err != nil {
		abort(c, err)
		return
	}
	pos, err := a.startPosition(c)
	if err != nil {
		abort(c, err)
		return
	}
	ctx := c.Request.Context()
	seen, err := rm.SeqAt(ctx, pos)
	if err != nil {
		abort(c, err)
		return
	}
	cfg := a.cfg.Events
	w := c.Writer
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(chunk string) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		if _, err := w.Write([]byte(chunk)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 2000\n\n") {
		return
	}
	heartbeat := time.NewTicker(cfg.Heartbeat)
	defer heartbeat.Stop()
	live := false
	// slow drops a consumer that has caught up once and then, while a
	// write to it waited, fell more than MaxLag events behind.
	slow := func() bool {
		if !live || rm.Head()-seen <= cfg.MaxLag {
			return false
		}
		a.disconnect(send, pos, fmt.Sprintf("slow consumer: more than %d events behind the newest; reconnect with Last-Event-ID to resume", cfg.MaxLag))
		return true
	}
	for {
		grown := rm.Grown()
		head := rm.Head()
		batch, err := rm.Events(ctx, pos, filter, eventBatch)
		if err != nil {
			return
		}
		var out strings.Builder
		for _, e := range batch {
			data, err := json.Marshal(e)
			if err != nil {
				return
			}
			fmt.Fprintf(&out, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Act, data)
			pos, seen = e.Position(), e.Seq()
		}
		if len(batch) < eventBatch {
			seen, live = max(seen, head), true // every event up to head is examined
		}
		if out.Len() > 0 {
			if !send(out.String()) {
				return
			}
			heartbeat.Reset(cfg.Heartbeat)
		}
		if slow() {
			return
		}
		if len(batch) == eventBatch {
			continue
		}
		if err := rm.Failed(); err != nil {
			a.disconnect(send, pos, "the read model stopped: "+err.Error())
			return
		}
		select {
		case <-grown:
		case <-heartbeat.C:
			if !send(": heartbeat\n\n") || slow() {
				return
			}
		case <-ctx.Done():
			return
		case <-a.shutdown:
			a.disconnect(send, pos, "the server is shutting down; reconnect with Last-Event-ID to resume")
			return
		}
	}
}

// disconnect sends a stream's final event.
func (a *API) disconnect(send func(string) bool, pos readmodel.Position, reason string) {
	d := Disconnect{Reason: reason}
	if pos != (readmodel.Position{}) {
		d.LastEventID = pos.String()
	}
	data, err := json.Marshal(d)
	if err != nil {
		return
	}
	send("event: disconnect\ndata: " + string(data) + "\n\n")
}

// Shutdown ends the event streams (each with a final event), so that the
// HTTP server's graceful shutdown does not wait for them.
func (a *API) Shutdown() {
	a.shutdownOnce.Do(func() { close(a.shutdown) })
}

// eventsHandler serves the feed, or 404 without a read model.
func (a *API) eventsHandler(c *gin.Context) {
	if a.cfg.ReadModel == nil {
		abort(c, newProblem(http.StatusNotFound, "not_found", "", "this server keeps no read model, so it has no event feed"))
		return
	}
	a.events(c)
}
