package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// demoAPI serves the REST API over an embedded ledger seeded with the demo
// in a data directory of its own (member token "tok"), on 127.0.0.1.
func demoAPI(t *testing.T) (dir, url string) {
	t.Helper()
	dir = t.TempDir()
	l, err := embedded.Open(filepath.Join(dir, "ledger"), ledger.Options{MSPID: "DataportMSP", NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	require.NoError(t, demo.Seed(context.Background(), l, dir))
	as := func(name string) *client.Client {
		c, err := l.Client("DataportMSP", name)
		require.NoError(t, err)
		return c
	}
	trust, err := proof.LoadRoots(filepath.Join(dir, "ledger", "msp"))
	require.NoError(t, err)
	rm, stop, err := readmodel.Start(context.Background(), filepath.Join(dir, "read-model.sqlite"), as("client"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, stop()) })
	a, err := api.New(api.Config{Client: as("client"), Admin: as("admin"), Channel: l.ChannelID(), AdminToken: "tok", Trust: trust, ReadModel: rm})
	require.NoError(t, err)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return dir, srv.URL
}

// A person drives acts from the shell: a new key, its registration on the
// member's authority, and an act signed with it, against a real API.
func TestKeysSignAndAct(t *testing.T) {
	dir, url := demoAPI(t)
	ctx := context.Background()
	var out bytes.Buffer

	// keys new
	keyFile := filepath.Join(dir, "new.key")
	require.NoError(t, run(ctx, []string{"keys", "new", "--out", keyFile}, &out))
	address := strings.TrimSpace(out.String())
	require.Regexp(t, `^0x[0-9a-fA-F]{40}$`, address)
	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.Error(t, run(ctx, []string{"keys", "new", "--out", keyFile}, &out), "an existing key is not overwritten")

	// sign: a body whose signature recovers to the key
	out.Reset()
	require.NoError(t, run(ctx, []string{"sign", "--key", keyFile, "--type", "PlaceOrder",
		"--message", `{"agreement":"a","termsHash":"` + schema.ZeroHash + `"}`}, &out))
	var body schema.ActRequest
	require.NoError(t, json.Unmarshal(out.Bytes(), &body))
	m, err := prepare("PlaceOrder", string(body.Message))
	require.NoError(t, err)
	typed, err := schema.TypedMessage(m)
	require.NoError(t, err)
	digest, err := schema.Digest("registry", "PlaceOrder", typed)
	require.NoError(t, err)
	signer, err := schema.RecoverSigner("signature", digest, body.Signature)
	require.NoError(t, err)
	require.Equal(t, address, signer.Hex())

	// act: the member adds the new key to Hamburg; Hamburg then expresses interest with it.
	out.Reset()
	require.NoError(t, run(ctx, []string{"act", "--api", url, "--token", "tok", "--key", keyFile, "--type", "AddKey",
		"--message", `{"party":"hamburg","key":"` + address + `","validFrom":"0","validUntil":"0"}`}, &out), out.String())
	out.Reset()
	require.NoError(t, run(ctx, []string{"act", "--api", url, "--key", keyFile, "--type", "ExpressInterest",
		"--message", `{"agreement":"hamburg-bauantrag","offering":"digitaler-bauantrag","customer":"hamburg","parentAgreement":""}`}, &out), out.String())
	require.Contains(t, out.String(), "POST /v1/agreements → 201")
	require.Contains(t, out.String(), `"status": "INTEREST"`)

	// A refused act says why and fails.
	out.Reset()
	err = run(ctx, []string{"act", "--api", url, "--key", keyFile, "--type", "ExpressInterest",
		"--message", `{"agreement":"hamburg-bauantrag","offering":"digitaler-bauantrag","customer":"hamburg","parentAgreement":""}`}, &out)
	require.Error(t, err)
	require.Contains(t, out.String(), "409")
	require.Contains(t, out.String(), `"field": "message.agreement"`)
}
