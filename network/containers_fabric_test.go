//go:build fabric && compose

package network_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// The tests of a network in containers (make test-compose): every member
// org runs its own registry-api, and the marketplace works across them.

// members routes a scenario's calls to the registry-api of the member org
// that vouches for the party: each party acts through its own member.
type members struct {
	channel string
	apis    map[string]*scenario.HTTP
}

func (m *members) Channel() string { return m.channel }

func (m *members) api(member string) *scenario.HTTP { return m.apis[member] }

func (m *members) RegisterParty(ctx context.Context, member string, reg schema.PartyRegistration) (json.RawMessage, error) {
	return m.api(member).RegisterParty(ctx, member, reg)
}

func (m *members) Act(ctx context.Context, member string, act *schema.Act) (json.RawMessage, error) {
	return m.api(member).Act(ctx, member, act)
}

func (m *members) RecordFigures(ctx context.Context, member string, b schema.FigureBatch) (json.RawMessage, error) {
	return m.api(member).RecordFigures(ctx, member, b)
}

func (m *members) SetPartyDetails(ctx context.Context, member, party string, d schema.PartyDetails) (json.RawMessage, error) {
	return m.api(member).SetPartyDetails(ctx, member, party, d)
}

// apiURL is the base URL of a member org's registry-api, from this machine.
func apiURL(t testing.TB, n *network.Network, mspID string) string {
	t.Helper()
	a, ok := n.API(mspID)
	require.True(t, ok, "the network in containers runs a registry-api for %s", mspID)
	return "http://" + a.Address()
}

func membersOf(t testing.TB, n *network.Network) *members {
	t.Helper()
	m := &members{channel: network.ChannelID, apis: map[string]*scenario.HTTP{}}
	for _, org := range network.Members {
		token, err := os.ReadFile(n.APIDataDir(org) + "/admin-token")
		require.NoError(t, err, "the member token of %s's registry-api", org.MSPID)
		m.apis[org.MSPID] = &scenario.HTTP{URL: apiURL(t, n, org.MSPID), Token: strings.TrimSpace(string(token)), ChannelID: network.ChannelID}
	}
	return m
}

// get reads a JSON answer of an API.
func get(t testing.TB, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode == http.StatusOK && v != nil {
		require.NoError(t, json.Unmarshal(body, v), "%s", body)
	}
	return resp.StatusCode
}

// TestEachMemberRunsItsRegistryAPI runs an agreement from the expression of
// interest to the order with each party acting through its own member's
// registry-api (Anbieter: AKDB, supplier: Dataport, customer: regio iT),
// and reads the result through every one of them.
func TestEachMemberRunsItsRegistryAPI(t *testing.T) {
	n := fabrictest.Network(t)
	require.True(t, n.Containers(), "make test-compose runs this on a network in containers")
	ctx := context.Background()
	b := scenario.New(membersOf(t, n), scenario.WithRandomSuffix())
	m, err := b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(t, err)
	d := m.Deal("ueber-drei-apis", "")
	require.NoError(t, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))

	for _, org := range network.Members {
		// Each registry-api reads its own read model, projected from its
		// own peer: it reaches the order within moments.
		var a schema.Agreement
		deadline := time.Now().Add(30 * time.Second)
		for get(t, apiURL(t, n, org.MSPID)+"/v1/agreements/"+d.ID, &a) != http.StatusOK || a.Status != schema.AgreementConcluded {
			require.True(t, time.Now().Before(deadline), "%s's registry-api reads the agreement concluded (has %q)", org.MSPID, a.Status)
			time.Sleep(200 * time.Millisecond)
		}
		var p schema.Party
		require.Equal(t, http.StatusOK, get(t, apiURL(t, n, org.MSPID)+"/v1/parties/"+m.Customer.ID, &p))
		require.Equal(t, network.Members[2].MSPID, p.VouchedBy, "regio iT vouches for the customer")
	}
}

// TestBundlesVerifyAfterAnOrgRestarts restarts every container of one
// member org (AKDB: its peer, its chaincode servers, its registry-api),
// then exports an agreement's proof bundle through that org's registry-api
// and verifies it offline against the roots an auditor pins.
func TestBundlesVerifyAfterAnOrgRestarts(t *testing.T) {
	n := fabrictest.Network(t)
	require.True(t, n.Containers())
	ctx := context.Background()
	b := scenario.New(membersOf(t, n), scenario.WithRandomSuffix())
	m, err := b.Marketplace(ctx, scenario.SpreadVouching)
	require.NoError(t, err)
	d := m.Deal("vor-dem-neustart", "")
	require.NoError(t, d.Until(ctx, schema.AgreementConcluded, scenario.DefaultFees, ""))

	akdb := network.Members[1]
	var restarted []network.Node
	for _, nd := range n.Nodes() {
		if nd.Org == akdb {
			require.NoError(t, n.Stop(nd, 10*time.Second), nd.Name)
			require.False(t, n.Running(nd), nd.Name)
			restarted = append(restarted, nd)
		}
	}
	require.Len(t, restarted, 4, "peer, two chaincode servers, registry-api")
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for _, nd := range restarted {
		require.NoError(t, n.StartNode(startCtx, nd), nd.Name)
	}

	trust, err := proof.FabricTrust(n.RootFiles(), n.GenesisBlock())
	require.NoError(t, err)
	url := apiURL(t, n, akdb.MSPID) + "/v1/agreements/" + d.ID + "/proof"
	var bundle proof.Bundle
	deadline := time.Now().Add(time.Minute)
	for get(t, url, &bundle) != http.StatusOK {
		require.True(t, time.Now().Before(deadline), "AKDB's registry-api serves the bundle after the restart")
		time.Sleep(500 * time.Millisecond)
	}
	report, terms := proof.Verify(&bundle, trust)
	require.True(t, report.OK, "%s", fmt.Sprint(report.FirstFailure))
	require.Equal(t, d.ID, terms.Agreement)
	require.Len(t, terms.Acts, 8)
}
