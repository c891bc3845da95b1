//! Logging in with OpenID Connect (authorization code flow with PKCE): how residents and staff
//! log in through a municipality's DigiD or eHerkenning broker. The provider is discovered on
//! first use (so the service starts while the provider is down); the ID token's signature,
//! issuer, audience, expiry and nonce are checked by `openidconnect`. The subject must be a
//! configured user; their role comes from knop's configuration, never from the provider.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::OnceCell;

/// How to reach the provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer URL (discovery at `/.well-known/openid-configuration`).
    pub issuer: String,
    /// knop's client id at the provider.
    pub client_id: String,
    /// knop's client secret, if the provider gave one.
    pub client_secret: Option<String>,
    /// knop's callback, `https://…/inloggen/callback`, as registered at the provider.
    pub redirect_url: String,
    /// What the login button says (`DigiD`, `eHerkenning`, the broker's name).
    pub label: String,
}

struct Pending {
    verifier: String,
    nonce: String,
    at: Instant,
}

/// Why a login did not complete.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense.
    #[error("the identity provider: {0}")]
    Provider(String),
    /// The callback does not belong to a login started here (or it expired).
    #[error("this login was not started here or took longer than 10 minutes; start again")]
    UnknownState,
    /// The provider refused or the token did not verify.
    #[error("login refused: {0}")]
    Refused(String),
}

/// The logins in progress and the discovered provider.
pub struct Oidc {
    config: OidcConfig,
    http: reqwest::Client,
    metadata: OnceCell<CoreProviderMetadata>,
    pending: Mutex<HashMap<String, Pending>>,
}

/// How long a login may take between the redirect and the callback.
const PENDING_TTL: Duration = Duration::from_secs(600);
/// At most this many logins in progress (older ones are dropped first).
const PENDING_MAX: usize = 10_000;

impl Oidc {
    /// A client for this provider; nothing is fetched yet.
    pub fn new(config: OidcConfig) -> Result<Self, OidcError> {
        // No redirects on server-to-server calls (the token endpoint must answer itself).
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        Ok(Self {
            config,
            http,
            metadata: OnceCell::new(),
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// What the login button says.
    pub fn label(&self) -> &str {
        &self.config.label
    }

    async fn metadata(&self) -> Result<&CoreProviderMetadata, OidcError> {
        self.metadata
            .get_or_try_init(|| async {
                let issuer = IssuerUrl::new(self.config.issuer.clone())
                    .map_err(|e| OidcError::Provider(format!("issuer: {e}")))?;
                CoreProviderMetadata::discover_async(issuer, &self.http)
                    .await
                    .map_err(|e| OidcError::Provider(format!("discovery: {e}")))
            })
            .await
    }

    async fn client(
        &self,
    ) -> Result<
        openidconnect::core::CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let md = self.metadata().await?.clone();
        let redirect = RedirectUrl::new(self.config.redirect_url.clone())
            .map_err(|e| OidcError::Provider(format!("redirect URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            md,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a login: the provider's authorization URL to send the browser to.
    pub async fn start(&self) -> Result<String, OidcError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("openid".into()))
            .set_pkce_challenge(challenge)
            .url();
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        p.retain(|_, x| now.duration_since(x.at) < PENDING_TTL);
        if p.len() >= PENDING_MAX {
            if let Some(k) = p.iter().min_by_key(|(_, x)| x.at).map(|(k, _)| k.clone()) {
                p.remove(&k);
            }
        }
        p.insert(
            state.secret().clone(),
            Pending {
                verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                at: now,
            },
        );
        Ok(url.to_string())
    }

    /// Completes a login from the callback's `code` and `state`: the verified subject.
    pub async fn finish(&self, code: &str, state: &str) -> Result<String, OidcError> {
        let pending = {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            p.remove(state)
                .filter(|x| x.at.elapsed() < PENDING_TTL)
                .ok_or(OidcError::UnknownState)?
        };
        let client = self.client().await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Refused(format!("code exchange: {e}")))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Refused("no ID token in the answer".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
            .map_err(|e| OidcError::Refused(format!("ID token: {e}")))?;
        Ok(claims.subject().as_str().to_owned())
    }
}
