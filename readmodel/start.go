package readmodel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/efa-marktplatz/registry/client"
)

// Source is what a read model is projected from: the client of a ledger.
type Source interface {
	client.Changer
	Height(ctx context.Context) (uint64, error)
}

// Start opens the read model at path, projects src into it in the
// background, and returns once it has caught up with the ledger's height
// at start. stop ends the projection and closes the store; it returns the
// projection's error if it stopped on its own (ErrMismatch).
func Start(ctx context.Context, path string, src Source, log *slog.Logger) (s *Store, stop func() error, err error) {
	s, err = Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	pctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Project(pctx, src, log) }()
	stop = func() error {
		cancel()
		err := <-done
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return errors.Join(err, s.Close())
	}
	height, err := src.Height(ctx)
	if err == nil && height > 0 {
		err = s.WaitFor(ctx, height-1)
	}
	if err != nil {
		if stopErr := stop(); stopErr != nil && !errors.Is(stopErr, err) {
			log.Error("closing the read model", "err", stopErr)
		}
		return nil, nil, fmt.Errorf("read model: catching up: %w", err)
	}
	return s, stop, nil
}
