package apps

import (
	"strings"
	"testing"
)

// TestArtifactACS: metadata's HTTP-Artifact ACS is kept only with a
// signing certificate (its resolution requests must be signed); an
// artifact ACS typed in needs sp_signing_certs.
func TestArtifactACS(t *testing.T) {
	artifactACS := `<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="https://sp.example.com/acs" index="2"/>`
	md := func(keys ...string) string {
		return strings.Replace(spMetadataWithKeys(keys...), "</SPSSODescriptor>", artifactACS+"</SPSSODescriptor>", 1)
	}
	var s SAMLSettings
	if err := importSPMetadata([]byte(md(keyDescriptor("signing", spCertB64(t, 1)))), "saml.metadata_xml", &s); err != nil {
		t.Fatal(err)
	}
	if len(s.ACS) != 2 || s.ACS[1].Binding != SAMLBindingArtifact || s.ACS[1].Index != 2 || s.ACS[0].Binding != SAMLBindingPost {
		t.Fatalf("with a signing certificate: %+v", s.ACS)
	}
	s = SAMLSettings{}
	if err := importSPMetadata([]byte(md()), "saml.metadata_xml", &s); err != nil {
		t.Fatal(err)
	}
	if len(s.ACS) != 1 || s.ACS[0].Binding != SAMLBindingPost {
		t.Fatalf("without a signing certificate: %+v", s.ACS)
	}

	s = DefaultSAMLSettings()
	s.EntityID = "https://sp.example.com/md"
	s.ACS = []SAMLEndpoint{{URL: "https://sp.example.com/acs", Binding: SAMLBindingArtifact}}
	err := s.validateACS()
	wantFailure(t, "artifact without certificates", err, "APP.0037",
		"An artifact saml.acs needs saml.sp_signing_certs: the service provider's artifact resolution requests are accepted only signed.")
	s.ACS[0].Binding = "soap"
	wantFailure(t, "another binding", s.validateACS(), "APP.0037",
		"The saml.acs binding must be post or artifact: Gatehouse sends responses with the HTTP-POST or HTTP-Artifact binding.")
}
