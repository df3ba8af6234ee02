package scenario

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
)

// Clients reaches the registry through the typed client: a relay (a member
// org's client identity) for the parties' acts, and each member org's admin
// identity for member administration.
type Clients struct {
	ChannelID string
	Relay     *client.Client
	Admins    map[string]*client.Client
}

// Channel implements Registry.
func (c *Clients) Channel() string { return c.ChannelID }

func (c *Clients) admin(member string) (*client.Client, error) {
	a, ok := c.Admins[member]
	if !ok {
		return nil, fmt.Errorf("scenario: no admin client of member %q", member)
	}
	return a, nil
}

// RegisterParty implements Registry.
func (c *Clients) RegisterParty(ctx context.Context, member string, reg schema.PartyRegistration) (json.RawMessage, error) {
	a, err := c.admin(member)
	if err != nil {
		return nil, err
	}
	res, err := a.RegisterParty(ctx, reg)
	if err != nil {
		return nil, err
	}
	return res.Payload, nil
}

// Act implements Registry.
func (c *Clients) Act(ctx context.Context, member string, act *schema.Act) (json.RawMessage, error) {
	relay := c.Relay
	if act.Authority == schema.ByMember {
		var err error
		if relay, err = c.admin(member); err != nil {
			return nil, err
		}
	}
	res, err := relay.Act(ctx, act)
	if err != nil {
		return nil, err
	}
	return res.Payload, nil
}

// RecordFigures implements Registry.
func (c *Clients) RecordFigures(ctx context.Context, member string, b schema.FigureBatch) (json.RawMessage, error) {
	a, err := c.admin(member)
	if err != nil {
		return nil, err
	}
	res, err := a.RecordFigures(ctx, b)
	if err != nil {
		return nil, err
	}
	return res.Payload, nil
}

// SetPartyDetails implements Registry.
func (c *Clients) SetPartyDetails(ctx context.Context, member, party string, d schema.PartyDetails) (json.RawMessage, error) {
	a, err := c.admin(member)
	if err != nil {
		return nil, err
	}
	res, err := a.SetPartyDetails(ctx, party, d)
	if err != nil {
		return nil, err
	}
	return res.Payload, nil
}
