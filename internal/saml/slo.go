package saml

import (
	"net/http"
	"slices"

	"github.com/crewjam/saml"

	"github.com/gatehouse/gatehouse/internal/web"
)

// sloRedirect is GET /api/v1/saml2/idp/slo: a LogoutRequest or
// LogoutResponse with the HTTP-Redirect binding, or, with neither, logout
// started here (IdP-initiated): the browser's session ends and every
// service provider it signed in to is told.
func (s *Server) sloRedirect(w http.ResponseWriter, r *http.Request) {
	if !hasParam(r.URL.RawQuery, paramRequest) && !hasParam(r.URL.RawQuery, paramResponse) {
		s.idpLogout(w, r)
		return
	}
	in, err := readRedirect(r.URL.RawQuery)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAML logout message could not be decoded (HTTP-Redirect binding).")
		return
	}
	s.slo(w, r, in)
}

// sloPost is POST /api/v1/saml2/idp/slo (HTTP-POST binding).
func (s *Server) sloPost(w http.ResponseWriter, r *http.Request) {
	in, err := readPost(r)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAML logout message could not be decoded (HTTP-POST binding).")
		return
	}
	s.slo(w, r, in)
}

func (s *Server) slo(w http.ResponseWriter, r *http.Request, in *inbound) {
	if in.Param == paramResponse {
		s.logoutResponse(w, r, in)
		return
	}
	s.logoutRequest(w, r, in)
}

// logoutRequest is SP-initiated single logout (SAML Core 3.7, Profiles
// 4.4.4.1). The session to end is the one the SessionIndex names (an
// unguessable value only that service provider was given), or, for a
// signed request without one, every session of the NameID at that
// service provider. An unsigned request must carry a SessionIndex: a
// NameID alone is too easy to guess for anyone to log people out with.
func (s *Server) logoutRequest(w http.ResponseWriter, r *http.Request, in *inbound) {
	ip := s.idpOf(r)
	ctx := r.Context()
	root, err := parseMessage(in.XML, "LogoutRequest")
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAMLRequest is not a well-formed SAML 2.0 LogoutRequest.")
		return
	}
	m, rf := s.checkSender(ctx, ip.tenant.ID, in, root)
	if rf != nil {
		s.refused(w, r, rf)
		return
	}
	var req saml.LogoutRequest
	if err := unmarshalElement(m.root, &req); err != nil || req.NameID == nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAMLRequest is not a well-formed SAML 2.0 LogoutRequest (it needs a NameID).")
		return
	}
	if m.signed && req.Destination == "" {
		s.errorPage(w, r, http.StatusBadRequest, "A signed SAML request must name its Destination.")
		return
	}
	if rf := s.checkFresh(ctx, ip.tenant.ID, m.app.ID, req.ID, req.Version, req.IssueInstant, req.Destination, ip.slo); rf != nil {
		s.refused(w, r, rf)
		return
	}
	var sids []string
	switch {
	case req.SessionIndex != nil && req.SessionIndex.Value != "":
		row, err := s.Store.SAMLSessions().GetBySessionIndex(ctx, ip.tenant.ID, m.app.ID, req.SessionIndex.Value)
		if err == nil && row.NameID == req.NameID.Value {
			sids = append(sids, row.SID)
		}
	case m.signed:
		rows, err := s.Store.SAMLSessions().ListByNameID(ctx, ip.tenant.ID, m.app.ID, req.NameID.Value)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, row := range rows {
			if !slices.Contains(sids, row.SID) {
				sids = append(sids, row.SID)
			}
		}
	default:
		s.errorPage(w, r, http.StatusBadRequest, "An unsigned LogoutRequest must carry the SessionIndex this identity provider issued.")
		return
	}
	cur, _, _ := web.CurrentUser(r, s.Sessions, s.Store, ip.tenant.ID)
	targets := s.endSessions(r, ip.tenant.ID, sids, m.app.ID)
	if cur != nil && slices.Contains(sids, cur.SID) {
		web.EndSession(w, r, s.Sessions, ip.tenant.ID, s.SecureCookies)
	}
	s.sloContinue(w, r, &sloState{TenantID: ip.tenant.ID, Queue: targets,
		Reply: &sloReply{App: m.app.ID, RequestID: req.ID, RelayState: in.RelayState}})
}

// logoutResponse is a service provider's answer to Gatehouse's
// LogoutRequest: the logout goes on to the next one.
func (s *Server) logoutResponse(w http.ResponseWriter, r *http.Request, in *inbound) {
	ip := s.idpOf(r)
	root, err := parseMessage(in.XML, "LogoutResponse")
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAMLResponse is not a well-formed SAML 2.0 LogoutResponse.")
		return
	}
	var resp saml.LogoutResponse
	if err := unmarshalElement(root, &resp); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "The SAMLResponse is not a well-formed SAML 2.0 LogoutResponse.")
		return
	}
	st, ok := s.openSLO(resp.InResponseTo, ip.tenant.ID)
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "This logout response does not answer a logout in progress here (or it took too long).")
		return
	}
	app, err := s.Apps.Get(r.Context(), ip.tenant.ID, st.Current)
	if err != nil || resp.Issuer == nil || resp.Issuer.Value != app.SAML.EntityID {
		s.errorPage(w, r, http.StatusBadRequest, "This logout response does not come from the service provider it was sent to.")
		return
	}
	if resp.Status.StatusCode.Value != statusSuccess {
		st.Partial = true
	}
	st.Current = ""
	s.sloContinue(w, r, st)
}

// idpLogout ends the browser's session and logs it out of every service
// provider it signed in to.
func (s *Server) idpLogout(w http.ResponseWriter, r *http.Request) {
	ip := s.idpOf(r)
	cur, _, err := web.CurrentUser(r, s.Sessions, s.Store, ip.tenant.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	st := &sloState{TenantID: ip.tenant.ID}
	if cur != nil {
		st.Queue = s.endSessions(r, ip.tenant.ID, []string{cur.SID}, "")
	}
	web.EndSession(w, r, s.Sessions, ip.tenant.ID, s.SecureCookies)
	s.sloContinue(w, r, st)
}
