//! Outgoing mail through SMTP (lettre) when `SMTP_HOST` is set; otherwise each mail is written
//! as an `.eml` file to `DATA_DIR/outbox/` and its link is logged, so a fresh install works with
//! no mail server. Mails are sent in the background: a request never waits for SMTP.

pub mod templates;

use std::path::PathBuf;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{Config, SmtpTls};

/// A mail ready to send.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// A real SMTP server.
    Smtp {
        /// Pooled transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// Sender.
        from: Mailbox,
    },
    /// `.eml` files in a directory.
    Outbox {
        /// The directory.
        dir: PathBuf,
        /// Sender.
        from: Mailbox,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Self::Outbox { dir, .. } => write!(f, "Mailer::Outbox({})", dir.display()),
        }
    }
}

impl Mailer {
    /// The mailer the configuration asks for.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mail = &config.mail;
        let from: Mailbox = mail.from.parse().context("MAIL_FROM")?;
        let Some(host) = &mail.smtp_host else {
            return Ok(Self::Outbox {
                dir: config.data_dir.join("outbox"),
                from,
            });
        };
        let mut builder = match mail.smtp_tls {
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .with_context(|| format!("SMTP_HOST={host}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .with_context(|| format!("SMTP_HOST={host}"))?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        }
        .port(mail.smtp_port)
        .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(pass)) = (&mail.smtp_username, &mail.smtp_password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                pass.expose_secret().to_owned(),
            ));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            from,
        })
    }

    fn from(&self) -> &Mailbox {
        match self {
            Self::Smtp { from, .. } | Self::Outbox { from, .. } => from,
        }
    }

    /// Sends one mail (or writes it to the outbox).
    pub async fn send(&self, mail: &OutgoingMail) -> anyhow::Result<()> {
        let to: Mailbox = mail.to.parse().context("recipient address")?;
        let message = Message::builder()
            .from(self.from().clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .context("building the mail")?;
        match self {
            Self::Smtp { transport, .. } => {
                transport
                    .send(message)
                    .await
                    .context("SMTP delivery failed")?;
                tracing::info!(subject = %mail.subject, "mail sent");
            }
            Self::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir).await?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S"),
                    uuid::Uuid::now_v7().simple()
                );
                let path = dir.join(name);
                tokio::fs::write(&path, message.formatted()).await?;
                // No SMTP configured. The file holds a live link (a reset link is as good as the
                // password): the log says where it is, never what it says.
                tracing::warn!(
                    file = %path.display(),
                    subject = %mail.subject,
                    "no SMTP_HOST: mail written to the outbox"
                );
            }
        }
        Ok(())
    }
}
