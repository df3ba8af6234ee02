package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
)

// Act submits a signed act (schema.DecodeAct, schema.SignAct) under the
// function its authority calls for. The result's payload is the record the
// act changed. An act on the member's authority must go through a client of
// the member org's admin identity.
func (c *Client) Act(ctx context.Context, act *schema.Act) (*Result, error) {
	args, err := act.Args()
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return c.Submit(ctx, act.Function(), args...)
}

// RegisterParty registers a party the member org vouches for (an admin
// identity's client). The result's payload is the party.
func (c *Client) RegisterParty(ctx context.Context, reg schema.PartyRegistration) (*Result, error) {
	reg.Normalize()
	raw, err := json.Marshal(reg)
	if err != nil {
		return nil, fmt.Errorf("client: encode registration: %w", err)
	}
	return c.Submit(ctx, schema.FnRegisterParty, string(raw))
}

// SetInHouse replaces the Anbieter a party may order from (§108 GWB; an
// admin identity's client of the vouching member org).
func (c *Client) SetInHouse(ctx context.Context, party string, anbieter []string) (*Result, error) {
	if anbieter == nil {
		anbieter = []string{}
	}
	raw, err := json.Marshal(anbieter)
	if err != nil {
		return nil, fmt.Errorf("client: encode in-house relationships: %w", err)
	}
	return c.Submit(ctx, schema.FnSetInHouseRelationships, party, string(raw))
}
