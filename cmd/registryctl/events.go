package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
)

// eventsCmd prints the registry's events as JSON lines (the data of each
// Server-Sent Event): those after the checkpoint (or --after), then, with
// --follow, every new one as it commits, reconnecting with Last-Event-ID
// whenever the stream ends. With --checkpoint, the id of each event
// printed is stored (atomically) before the next is read, so that a
// consumer restarted on the same file resumes after the last line it
// printed.
func eventsCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	target := apiFlag(fs)
	follow := fs.Bool("follow", false, "keep the stream open and print events as they commit (reconnecting when it ends)")
	checkpoint := fs.String("checkpoint", "", "file keeping the id of the last event printed; resume after it")
	after := fs.String("after", "0-0", "without a checkpoint: print the events after this id (0-0: from the start)")
	idle := fs.Duration("idle", 2*time.Second, "without --follow: stop after this long without an event")
	record := fs.String("record", "", "only events of this record kind")
	id := fs.String("id", "", "only events of this record id")
	party := fs.String("party", "", "only events whose record names this party")
	acts := fs.String("act", "", "only these act types, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target.resolve(fs)
	last := *after
	if *checkpoint != "" {
		raw, err := os.ReadFile(*checkpoint)
		switch {
		case err == nil:
			last = strings.TrimSpace(string(raw))
		case !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	q := url.Values{}
	for k, v := range map[string]string{"record": *record, "id": *id, "party": *party, "act": *acts} {
		if v != "" {
			q.Set(k, v)
		}
	}
	pause := 500 * time.Millisecond
	for {
		err := streamEvents(ctx, target, q, &last, *checkpoint, *follow, *idle, out)
		if !*follow || ctx.Err() != nil {
			if errors.Is(err, errIdle) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		fmt.Fprintf(os.Stderr, "registryctl events: %v; reconnecting after %s\n", err, last)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, 10*time.Second)
	}
}

var errIdle = errors.New("idle")

// streamEvents reads one connection of the stream, printing each event and
// advancing *last.
func streamEvents(ctx context.Context, target *apiTarget, q url.Values, last *string, checkpoint string, follow bool, idle time.Duration, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.url+"/v1/events?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Last-Event-ID", *last)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return target.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET /v1/events: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- errors.Join(sc.Err(), io.ErrUnexpectedEOF)
	}()
	var id, name, data string
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		var line string
		select {
		case line = <-lines:
		case err := <-readErr:
			return fmt.Errorf("the stream ended: %w", err)
		case <-timer.C:
			if !follow {
				return errIdle
			}
			timer.Reset(idle)
			continue
		case <-ctx.Done():
			return ctx.Err()
		}
		switch {
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case line == "":
			if name == "disconnect" {
				return fmt.Errorf("the server ended the stream: %s", data)
			}
			if id != "" && data != "" {
				if _, err := fmt.Fprintln(out, data); err != nil {
					return err
				}
				*last = id
				if checkpoint != "" {
					if err := atomicfile.Write(checkpoint, []byte(id+"\n"), 0o600); err != nil {
						return fmt.Errorf("checkpoint: %w", err)
					}
				}
				if !timer.Stop() {
					select {
					case <-timer.C:
					default:
					}
				}
				timer.Reset(idle)
			}
			id, name, data = "", "", ""
		}
	}
}
