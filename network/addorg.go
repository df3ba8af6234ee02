package network

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// AddOrg adds a member org to the running channel, as the members would
// through a channel configuration update:
//
//  1. the new org's crypto material (its CA, peer, admin and user);
//  2. its definition — MSP, policies, anchor peer — printed by configtxgen
//     exactly as at the channel's creation (memberOrg);
//  3. the channel's current configuration fetched from the orderers, the org
//     added to its Application group, and the update computed
//     (configtxlator);
//  4. the update signed by the admins of the existing member orgs (the
//     channel's Admins policy is MAJORITY Admins) and submitted;
//  5. the new org's peer started and joined to the channel, catching up
//     from the orderers;
//  6. the chaincodes installed on it, served beside it, and the committed
//     definitions approved for the org, so that its peer endorses.
//
// The network's directory records the org, so that later calls (Up, Down,
// status, the tests) include its nodes. In containers, its nodes get
// services of their own (the compose file is written again). Every step
// resumes: after a failure, AddOrg again completes what is missing.
func (n *Network) AddOrg(ctx context.Context, org Org) error {
	if err := n.addOrg(ctx, org); err != nil {
		return fmt.Errorf("network: add %s: %w", org.MSPID, err)
	}
	return nil
}

func (n *Network) addOrg(ctx context.Context, org Org) error {
	for _, m := range append([]Org{OrdererOrg}, n.MemberOrgs()...) {
		if m == org && slices.Contains(n.joined, org) {
			continue // joined before, perhaps half-way: every step below resumes
		}
		if m.MSPID == org.MSPID || m.Domain == org.Domain || m.Name == org.Name {
			return fmt.Errorf("the network has %s already", m.MSPID)
		}
	}
	if org.Name == "" || org.MSPID == "" || org.Domain == "" {
		return fmt.Errorf("an org needs a name, an MSP id and a domain")
	}
	if err := n.EnsureBinaries(ctx); err != nil {
		return err
	}
	existing := n.Peers()
	work := n.path("config", "add-"+org.Domain)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	// 1. Crypto material.
	if !exists(n.orgDir(org)) {
		cfgFile := filepath.Join(work, "crypto-config.yaml")
		if err := writeYAML(cfgFile, map[string]any{"PeerOrgs": []any{n.peerOrgCrypto(org)}}); err != nil {
			return err
		}
		tmp := filepath.Join(work, "crypto")
		if err := removeIfExists(tmp); err != nil {
			return err
		}
		if err := n.run(ctx, nil, n.bin("cryptogen"), "generate", "--config", cfgFile, "--output", tmp); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, "peerOrganizations", org.Domain), n.orgDir(org)); err != nil {
			return err
		}
	}

	// The org is part of the network from here on: its peer and chaincode
	// servers are among the nodes.
	if !slices.Contains(n.joined, org) {
		n.joined = append(n.joined, org)
		if err := n.saveShape(); err != nil {
			return err
		}
	}
	peer, _ := n.Peer(org.MSPID)

	// 2. The org's definition, as configtxgen prints it.
	if err := writeYAML(filepath.Join(work, "configtx.yaml"), map[string]any{"Organizations": []any{n.memberOrg(peer)}}); err != nil {
		return err
	}
	orgJSON, err := n.output(ctx, []string{"FABRIC_CFG_PATH=" + work}, n.bin("configtxgen"), "-printOrg", org.MSPID)
	if err != nil {
		return err
	}

	// 3. The configuration update, unless the channel has the org already.
	configBlock := filepath.Join(work, "config_block.pb")
	if _, err := n.cli(ctx, existing[0], n.cliEnv(existing[0]), "peer", append([]string{"channel", "fetch", "config", configBlock, "-c", ChannelID}, n.ordererArgs()...)...); err != nil {
		return err
	}
	blockJSON, err := n.output(ctx, nil, n.bin("configtxlator"), "proto_decode", "--input", configBlock, "--type", "common.Block")
	if err != nil {
		return err
	}
	var block struct {
		Data struct {
			Data []struct {
				Payload struct {
					Data struct {
						Config map[string]any `json:"config"`
					} `json:"data"`
				} `json:"payload"`
			} `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(blockJSON, &block); err != nil || len(block.Data.Data) != 1 {
		return fmt.Errorf("decode the config block: %v", err)
	}
	original := block.Data.Data[0].Payload.Data.Config
	groups, err := digMap(original, "channel_group", "groups", "Application", "groups")
	if err != nil {
		return err
	}
	if _, ok := groups[org.MSPID]; !ok {
		var orgGroup any
		if err := json.Unmarshal(orgJSON, &orgGroup); err != nil {
			return fmt.Errorf("decode configtxgen's org: %w", err)
		}
		originalJSON, err := json.Marshal(original)
		if err != nil {
			return err
		}
		groups[org.MSPID] = orgGroup
		updatedJSON, err := json.Marshal(original)
		if err != nil {
			return err
		}
		envelope, err := n.configUpdate(ctx, work, originalJSON, updatedJSON)
		if err != nil {
			return err
		}
		// 4. Signed by every existing member's admin: the last submits.
		for _, p := range existing[:len(existing)-1] {
			if _, err := n.cli(ctx, p, n.cliEnv(p), "peer", "channel", "signconfigtx", "-f", envelope); err != nil {
				return err
			}
		}
		last := existing[len(existing)-1]
		args := append([]string{"channel", "update", "-f", envelope, "-c", ChannelID}, n.ordererArgs()...)
		if _, err := n.cli(ctx, last, n.cliEnv(last), "peer", args...); err != nil {
			return err
		}
	}

	// 5. The new peer joins; it catches up from the orderers.
	sample, err := n.sampleConfig(ctx)
	if err != nil {
		return err
	}
	if err := n.writePeerConfig(sample, peer); err != nil {
		return err
	}
	if err := n.ensureChaincodeTLS(); err != nil {
		return err
	}
	if n.cfg.Containers {
		if err := n.writeCompose(); err != nil {
			return err
		}
	}
	if err := n.StartNode(ctx, peer); err != nil {
		return err
	}
	if err := n.joinPeer(ctx, peer); err != nil {
		return err
	}

	// 6. The chaincodes, served beside it and approved for the org.
	if err := n.ensureBuilder(ctx); err != nil {
		return err
	}
	for _, cc := range n.ChaincodeServers() {
		if cc.Org != org {
			continue
		}
		if err := n.install(ctx, cc); err != nil {
			return err
		}
		if err := n.approve(ctx, peer, cc); err != nil {
			return err
		}
	}
	if err := n.waitChaincode(ctx); err != nil {
		return err
	}
	for _, a := range n.APIs() {
		if a.Org == org {
			if err := n.StartNode(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// configUpdate computes the update from one channel configuration (JSON)
// to another and wraps it in an envelope for the channel, as a file.
func (n *Network) configUpdate(ctx context.Context, work string, original, updated []byte) (string, error) {
	files := map[string][]byte{"original.json": original, "updated.json": updated}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			return "", err
		}
	}
	lator := func(args ...string) error { return n.run(ctx, nil, n.bin("configtxlator"), args...) }
	for _, name := range []string{"original", "updated"} {
		if err := lator("proto_encode", "--input", filepath.Join(work, name+".json"), "--type", "common.Config", "--output", filepath.Join(work, name+".pb")); err != nil {
			return "", err
		}
	}
	update := filepath.Join(work, "update.pb")
	if err := lator("compute_update", "--channel_id", ChannelID, "--original", filepath.Join(work, "original.pb"), "--updated", filepath.Join(work, "updated.pb"), "--output", update); err != nil {
		return "", err
	}
	updateJSON, err := n.output(ctx, nil, n.bin("configtxlator"), "proto_decode", "--input", update, "--type", "common.ConfigUpdate")
	if err != nil {
		return "", err
	}
	var cu any
	if err := json.Unmarshal(updateJSON, &cu); err != nil {
		return "", fmt.Errorf("decode the update: %w", err)
	}
	env, err := json.Marshal(map[string]any{"payload": map[string]any{
		"header": map[string]any{"channel_header": map[string]any{"channel_id": ChannelID, "type": 2}},
		"data":   map[string]any{"config_update": cu},
	}})
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(work, "envelope.json"), env, 0o644); err != nil {
		return "", err
	}
	envelope := filepath.Join(work, "envelope.pb")
	if err := lator("proto_encode", "--input", filepath.Join(work, "envelope.json"), "--type", "common.Envelope", "--output", envelope); err != nil {
		return "", err
	}
	return envelope, nil
}

// digMap walks nested JSON objects.
func digMap(m map[string]any, path ...string) (map[string]any, error) {
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the channel configuration has no %s", p)
		}
		m = next
	}
	return m, nil
}
