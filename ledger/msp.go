package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// DefaultMSPID is the organisation the local MSP creates on first start when
// Options.MSPID is empty.
const DefaultMSPID = "EmbeddedMSP"

// Identity is an X.509 identity issued by the local MSP: what Fabric calls a
// signing identity. Chaincode sees it through GetCreator as a serialized
// identity, so the contract API's client-identity helpers work unchanged.
type Identity struct {
	MSPID       string
	Name        string
	Certificate *x509.Certificate
	certPEM     []byte
	key         *ecdsa.PrivateKey
	serialized  []byte
}

// Serialized returns the msp.SerializedIdentity encoding (MSP id and PEM
// certificate) that GetCreator returns.
func (id *Identity) Serialized() []byte { return id.serialized }

// CertificatePEM returns the identity's certificate in PEM form.
func (id *Identity) CertificatePEM() []byte { return id.certPEM }

// localMSP keeps one CA per organisation and the identities they issued in
// DIR/msp. Every identity is one PEM file (certificate and key) written
// atomically, so a crash never leaves half an identity behind.
type localMSP struct {
	dir string

	mu         sync.Mutex
	cas        map[string]*Identity // by MSP id
	identities map[string]*Identity // by MSP id + "/" + name
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Roles, as Fabric's NodeOUs name them in the certificate's OU.
const (
	roleClient = "client"
	roleAdmin  = "admin"
	rolePeer   = "peer"
)

func openMSP(dir string) (*localMSP, error) {
	if err := mkdirSynced(dir); err != nil {
		return nil, fmt.Errorf("ledger: create msp directory: %w", err)
	}
	return &localMSP{dir: dir, cas: map[string]*Identity{}, identities: map[string]*Identity{}}, nil
}

// identity loads an identity, creating the organisation's CA and the identity on first use.
func (m *localMSP) identity(mspID, name string) (*Identity, error) {
	if !namePattern.MatchString(mspID) {
		return nil, fmt.Errorf("ledger: invalid MSP id %q: want %s", mspID, namePattern)
	}
	if !namePattern.MatchString(name) || name == "ca" {
		return nil, fmt.Errorf("ledger: invalid identity name %q: want %s, not \"ca\"", name, namePattern)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if id, ok := m.identities[mspID+"/"+name]; ok {
		return id, nil
	}
	ca, err := m.ca(mspID)
	if err != nil {
		return nil, err
	}
	role := roleClient
	switch name {
	case "admin":
		role = roleAdmin
	case "node":
		role = rolePeer
	}
	id, err := m.loadOrCreate(mspID, name, func() (*x509.Certificate, *ecdsa.PrivateKey, error) {
		return issue(ca, mspID, name, role)
	})
	if err != nil {
		return nil, err
	}
	if err := id.Certificate.CheckSignatureFrom(ca.Certificate); err != nil {
		return nil, fmt.Errorf("ledger: identity %s/%s was not issued by its organisation's CA: %w", mspID, name, err)
	}
	m.identities[mspID+"/"+name] = id
	return id, nil
}

// ca returns the organisation's CA, creating it on first use. m.mu is held.
func (m *localMSP) ca(mspID string) (*Identity, error) {
	if ca, ok := m.cas[mspID]; ok {
		return ca, nil
	}
	ca, err := m.loadOrCreate(mspID, "ca", func() (*x509.Certificate, *ecdsa.PrivateKey, error) {
		return selfSign(mspID)
	})
	if err != nil {
		return nil, err
	}
	m.cas[mspID] = ca
	return ca, nil
}

// caCertificates returns the PEM certificates of every organisation's CA on disk, sorted by MSP id.
func (m *localMSP) caCertificates() ([][]byte, error) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, fmt.Errorf("ledger: read msp directory: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && namePattern.MatchString(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	var out [][]byte
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		ca, err := m.ca(id)
		if err != nil {
			return nil, err
		}
		out = append(out, ca.certPEM)
	}
	return out, nil
}

// verify reports whether the identity was issued by one of the local MSP's
// CAs. Identities this MSP handed out are recognised without a signature check.
func (m *localMSP) verify(id *Identity) error {
	m.mu.Lock()
	known := m.identities[id.MSPID+"/"+id.Name]
	ca := m.cas[id.MSPID]
	m.mu.Unlock()
	if known != nil && (known == id || bytes.Equal(known.serialized, id.serialized)) {
		return nil
	}
	if ca == nil {
		return fmt.Errorf("%w: unknown organisation %q", ErrUnknownIdentity, id.MSPID)
	}
	if id.Certificate == nil {
		return fmt.Errorf("%w: %s/%s has no certificate", ErrUnknownIdentity, id.MSPID, id.Name)
	}
	// What chaincode sees and the ledger records is the serialized form: it
	// must be this certificate of this organisation.
	want, err := proto.Marshal(&msp.SerializedIdentity{Mspid: id.MSPID, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Certificate.Raw})})
	if err != nil {
		return fmt.Errorf("ledger: serialize identity: %w", err)
	}
	if !bytes.Equal(want, id.serialized) {
		return fmt.Errorf("%w: %s/%s: serialized form does not match its certificate", ErrUnknownIdentity, id.MSPID, id.Name)
	}
	if err := id.Certificate.CheckSignatureFrom(ca.Certificate); err != nil {
		return fmt.Errorf("%w: %s/%s: %w", ErrUnknownIdentity, id.MSPID, id.Name, err)
	}
	return nil
}

func (m *localMSP) loadOrCreate(mspID, name string, create func() (*x509.Certificate, *ecdsa.PrivateKey, error)) (*Identity, error) {
	path := filepath.Join(m.dir, mspID, name+".pem")
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		id, err := parseIdentityPEM(mspID, name, raw)
		if err != nil {
			return nil, fmt.Errorf("ledger: identity file %s: %w", path, err)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("ledger: read identity: %w", err)
	}
	cert, key, err := create()
	if err != nil {
		return nil, fmt.Errorf("ledger: create identity %s/%s: %w", mspID, name, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ledger: encode key of %s/%s: %w", mspID, name, err)
	}
	var buf bytes.Buffer
	if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}); err != nil {
		return nil, fmt.Errorf("ledger: encode certificate: %w", err)
	}
	if err := pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		return nil, fmt.Errorf("ledger: encode key: %w", err)
	}
	if err := mkdirSynced(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("ledger: create msp directory: %w", err)
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	return parseIdentityPEM(mspID, name, buf.Bytes())
}

func parseIdentityPEM(mspID, name string, raw []byte) (*Identity, error) {
	var certDER, keyDER []byte
	for rest := raw; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			certDER = b.Bytes
		case "PRIVATE KEY":
			keyDER = b.Bytes
		}
	}
	if certDER == nil || keyDER == nil {
		return nil, errors.New("want one CERTIFICATE and one PRIVATE KEY block")
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("parse key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want ECDSA", k)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("key does not match certificate")
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	serialized, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, fmt.Errorf("serialize identity: %w", err)
	}
	return &Identity{MSPID: mspID, Name: name, Certificate: cert, certPEM: certPEM, key: key, serialized: serialized}, nil
}

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// Certificates of the local MSP are valid for a century: the ledger must
// verify its oldest block as long as it exists.
const certValidity = 100 * 365 * 24 * time.Hour

func selfSign(mspID string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	sn, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().Add(-time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "ca." + mspID, Organization: []string{mspID}},
		NotBefore:             now,
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func issue(ca *Identity, mspID, name, role string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	sn, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().Add(-time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber:   sn,
		Subject:        pkix.Name{CommonName: name, Organization: []string{mspID}, OrganizationalUnit: []string{role}},
		NotBefore:      now,
		NotAfter:       now.Add(certValidity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		SubjectKeyId:   keyID(&key.PublicKey),
		AuthorityKeyId: ca.Certificate.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Certificate, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func keyID(pub *ecdsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

// mkdirSynced creates a directory and any missing parents, syncing each new
// directory's parent so the new entries survive a machine crash.
func mkdirSynced(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	parent := filepath.Dir(path)
	if parent != path {
		if err := mkdirSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("ledger: create directory %s: %w", path, err)
	}
	return atomicfile.SyncDir(parent)
}
