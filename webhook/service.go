package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/efa-marktplatz/registry/readmodel"
)

// Source is where events come from: the read model.
type Source interface {
	Events(ctx context.Context, after readmodel.Position, f readmodel.EventFilter, limit int) ([]*readmodel.Event, error)
	LastEvent(ctx context.Context) (readmodel.Position, error)
	Grown() <-chan struct{}
}

// Options tune delivery; zero fields take the defaults.
type Options struct {
	Timeout     time.Duration // one attempt (default 10 s)
	Backoff     time.Duration // the wait after the first failure, doubled after each (default 1 s)
	MaxBackoff  time.Duration // the longest wait (default 1 h)
	MaxFailures int           // failures in a row that pause a subscription (default 15)
	Client      *http.Client  // default: one with Timeout
	Logger      *slog.Logger
}

// Service registers subscriptions and runs their deliveries.
type Service struct {
	st   *store
	src  Source
	opts Options

	mu      sync.Mutex
	ctx     context.Context // of Run; nil before
	workers map[string]context.CancelFunc
	wg      sync.WaitGroup
}

// Open opens the subscriptions' store at path. Deliveries start with Run.
func Open(ctx context.Context, path string, src Source, opts Options) (*Service, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Hour
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 15
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	st, err := openStore(ctx, path)
	if err != nil {
		return nil, err
	}
	return &Service{st: st, src: src, opts: opts, workers: map[string]context.CancelFunc{}}, nil
}

// Run delivers to every active subscription until ctx ends, then waits for
// the attempts in flight.
func (s *Service) Run(ctx context.Context) error {
	subs, err := s.st.list(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started
		}
		return err
	}
	s.mu.Lock()
	s.ctx = ctx
	for _, sub := range subs {
		if sub.Status == Active {
			s.startLocked(sub.ID)
		}
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
	return nil
}

// Close closes the store; call it after Run has returned.
func (s *Service) Close() error { return s.st.db.Close() }

func (s *Service) startLocked(id string) {
	if s.ctx == nil || s.workers[id] != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.workers[id] = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.deliver(ctx, id)
		s.mu.Lock()
		delete(s.workers, id)
		s.mu.Unlock()
		cancel()
	}()
}

// NewSubscription is what a member registers.
type NewSubscription struct {
	URL    string `json:"url"`
	Filter Filter `json:"filter"`
	// Secret signs the deliveries (at least 16 characters); "" lets the
	// registry generate one, returned once.
	Secret string `json:"secret,omitempty"`
	// After is the event id to deliver after; "" delivers the events
	// that commit from now on, "0-0" every event from the start.
	After string `json:"after,omitempty"`
}

// Created is the answer to a registration: the subscription and, once,
// its secret.
type Created struct {
	Subscription
	Secret string `json:"secret"`
}

// Create registers a subscription and starts its deliveries. The caller
// has checked the URL and the filter.
func (s *Service) Create(ctx context.Context, n NewSubscription) (*Created, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("webhook: id: %w", err)
	}
	secret := n.Secret
	if secret == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("webhook: secret: %w", err)
		}
		secret = "whsec_" + hex.EncodeToString(b[:])
	}
	cursor := n.After
	if cursor == "" {
		p, err := s.src.LastEvent(ctx)
		if err != nil {
			return nil, err
		}
		cursor = p.String()
	}
	sub := &Subscription{ID: "wh_" + hex.EncodeToString(raw[:]), URL: n.URL, Filter: n.Filter, Status: Active,
		Cursor: cursor, Created: time.Now().UTC().Format(time.RFC3339Nano), secret: []byte(secret)}
	if err := s.st.insert(ctx, sub); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.startLocked(sub.ID)
	s.mu.Unlock()
	return &Created{Subscription: *sub, Secret: secret}, nil
}

// Get returns a subscription's state.
func (s *Service) Get(ctx context.Context, id string) (*Subscription, error) {
	return s.st.get(ctx, id)
}

// List returns every subscription.
func (s *Service) List(ctx context.Context) ([]*Subscription, error) { return s.st.list(ctx) }

// Delete removes a subscription and stops its deliveries.
func (s *Service) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	if cancel := s.workers[id]; cancel != nil {
		cancel()
	}
	s.mu.Unlock()
	return s.st.remove(ctx, id)
}

// Resume restarts a paused subscription's deliveries at its cursor.
func (s *Service) Resume(ctx context.Context, id string) (*Subscription, error) {
	if err := s.st.resume(ctx, id); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return nil, err
	}
	s.mu.Lock()
	s.startLocked(id)
	s.mu.Unlock()
	return s.st.get(ctx, id)
}

// deliver runs one subscription: the next event after its cursor, one at a
// time, until it is paused or deleted or ctx ends.
func (s *Service) deliver(ctx context.Context, id string) {
	log := s.opts.Logger.With("subscription", id)
	for ctx.Err() == nil {
		sub, err := s.st.get(ctx, id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) && ctx.Err() == nil {
				log.Error("webhook: reading the subscription", "err", err)
			}
			return
		}
		if sub.Status != Active {
			return
		}
		if sub.NextAttempt != "" {
			next, _ := time.Parse(time.RFC3339Nano, sub.NextAttempt)
			if !sleep(ctx, time.Until(next)) {
				return
			}
		}
		after, err := readmodel.ParsePosition(sub.Cursor)
		if err != nil {
			log.Error("webhook: cursor", "err", err)
			return
		}
		grown := s.src.Grown()
		events, err := s.src.Events(ctx, after, sub.Filter.events(), 1)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("webhook: reading events", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(events) == 0 {
			select {
			case <-grown:
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			continue
		}
		ev := events[0]
		if err := s.post(ctx, sub, ev); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures := sub.Failures + 1
			wait := s.opts.Backoff << min(failures-1, 30)
			if wait > s.opts.MaxBackoff || wait <= 0 {
				wait = s.opts.MaxBackoff
			}
			pause := failures >= s.opts.MaxFailures
			why := fmt.Sprintf("event %s, attempt %d: %v", ev.ID, failures, err)
			if err := s.st.failed(context.WithoutCancel(ctx), id, failures, time.Now().Add(wait), why, pause); err != nil {
				if !errors.Is(err, ErrNotFound) {
					log.Error("webhook: recording a failure", "err", err)
				}
				return
			}
			if pause {
				log.Error("webhook: subscription paused after failing too often; resume it once the receiver is fixed", "url", sub.URL, "failures", failures, "lastError", why)
				return
			}
			log.Warn("webhook: delivery failed; retrying", "event", ev.ID, "attempt", failures, "retryIn", wait.String(), "err", err)
			continue
		}
		if err := s.st.delivered(context.WithoutCancel(ctx), id, ev.ID); err != nil {
			if !errors.Is(err, ErrNotFound) { // deleted meanwhile
				log.Error("webhook: recording a delivery", "err", err)
			}
			return
		}
	}
}

// post sends one event; nil means the receiver answered 2xx.
func (s *Service) post(ctx context.Context, sub *Subscription, ev *readmodel.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "efa-registry-webhooks/1")
	req.Header.Set("Registry-Event-Id", ev.ID)
	req.Header.Set("Registry-Event", ev.Act)
	req.Header.Set("Registry-Subscription", sub.ID)
	req.Header.Set("Registry-Delivery-Attempt", fmt.Sprint(sub.Failures+1))
	req.Header.Set(SignatureHeader, Sign(sub.secret, time.Now(), body))
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := resp.Body.Close(); err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
