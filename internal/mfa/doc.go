// Package mfa holds second factors of sign-in. TOTP (RFC 6238) is the first:
// totp.go is the algorithm (HMAC-SHA-1, 6 digits, 30-second steps, one
// step of skew either way, constant-time compares); service.go enrols a
// user's authenticator (a 160-bit secret sealed at rest, confirmed by a
// first valid code), verifies codes once each (a code's time step is
// recorded and no step at or before it is accepted again) and limits the
// codes tried per pending sign-in. Every enrolment, removal and refused
// code is audited; no secret or code is ever in an event or a log.
//
// The rule that says when an application needs a second factor is here
// too (NeedsSecondFactor), so that every protocol asks it in one place.
package mfa
