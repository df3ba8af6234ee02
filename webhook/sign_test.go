package webhook_test

import (
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/webhook"
	"github.com/stretchr/testify/require"
)

func TestSignAndVerify(t *testing.T) {
	secret, body := []byte("whsec_0123456789abcdef"), []byte(`{"id":"12-0","act":"Approved"}`)
	now := time.Unix(1764500000, 0)
	header := webhook.Sign(secret, now, body)
	require.Regexp(t, `^t=1764500000,v1=[0-9a-f]{64}$`, header)
	for _, c := range []struct {
		name   string
		secret []byte
		header string
		body   []byte
		at     time.Time
		ok     bool
	}{
		{"as sent", secret, header, body, now, true},
		{"four minutes later", secret, header, body, now.Add(4 * time.Minute), true},
		{"six minutes later: a replay", secret, header, body, now.Add(6 * time.Minute), false},
		{"another secret", []byte("whsec_another-secret"), header, body, now, false},
		{"a changed body", secret, header, []byte(`{"id":"12-1","act":"Approved"}`), now, false},
		{"a changed timestamp", secret, "t=1764500001" + header[12:], body, now, false},
		{"no signature", secret, "t=1764500000", body, now, false},
		{"not a header", secret, "sha256=abc", body, now, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := webhook.Verify(c.secret, c.header, c.body, c.at, 5*time.Minute)
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, webhook.ErrSignature)
		})
	}
}
