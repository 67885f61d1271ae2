//! Hand-offs about trusted access for AWS Marketplace: enabled by a person, enabled by
//! Marketplace itself, disabled.

use super::*;

pub(super) fn enabled_by_person(cx: Context<'_>, origin: &Origin) -> Message {
    let mut b = Writer::new();
    b.para(&format!(
        "Trusted access for AWS Marketplace ({MARKETPLACE_PRINCIPAL}) was enabled in AWS Organizations \
         {organization} {how}, not from the AWS Marketplace console.",
        organization = cx.about.organization.organization_id,
        how = made_with(origin, MARKETPLACE_PRINCIPAL, "Organizations tools"),
    ));
    b.who(origin);
    b.todo(&[
        format!("Open the {}.", marketplace_console()),
        "Enable (create) the integration with AWS Organizations there.".to_string(),
    ]);
    b.para(
        "Why: AWS recommends enabling trusted access from the AWS Marketplace console, because that \
         lets AWS Marketplace perform the set-up it needs in your organization; enabling it with \
         Organizations tools turns on access without that set-up.",
    );
    b.summary(cx);
    message(
        cx,
        Header {
            audience: Audience::MarketplaceAdmin,
            event: Event::TrustedAccessEnabled,
            severity: Severity::ActionRequired,
            subject: "Action required: enable AWS Marketplace integration in the Marketplace console",
            origin: Some(origin),
            account: None,
        },
        b,
    )
}

pub(super) fn enabled_by_marketplace(cx: Context<'_>, origin: &Origin) -> Message {
    let mut b = Writer::new();
    b.para(&format!(
        "AWS Marketplace enabled its integration with AWS Organizations {}. The integration is \
         complete; nothing is required of you.",
        cx.about.organization.organization_id
    ));
    b.who(origin);
    b.summary(cx);
    message(
        cx,
        Header {
            audience: Audience::OrganizationsAdmin,
            event: Event::TrustedAccessEnabled,
            severity: Severity::Info,
            subject: "AWS Marketplace integration with AWS Organizations is complete",
            origin: Some(origin),
            account: None,
        },
        b,
    )
}

pub(super) fn disabled(cx: Context<'_>, origin: &Origin) -> Vec<Message> {
    let organization = &cx.about.organization.organization_id;
    if origin.is_service(MARKETPLACE_PRINCIPAL) {
        let mut b = Writer::new();
        b.para(&format!(
            "AWS Marketplace disabled its integration with AWS Organizations {organization}."
        ));
        b.who(origin);
        b.role_policy(cx.policy.on_disable, "trusted access is disabled");
        b.summary(cx);
        return vec![message(
            cx,
            Header {
                audience: Audience::OrganizationsAdmin,
                event: Event::TrustedAccessDisabled,
                severity: Severity::Info,
                subject: "AWS Marketplace integration with AWS Organizations was disabled",
                origin: Some(origin),
                account: None,
            },
            b,
        )];
    }
    let headline = format!(
        "Trusted access for AWS Marketplace ({MARKETPLACE_PRINCIPAL}) was disabled in AWS Organizations \
         {organization} {how}, not from the AWS Marketplace console.",
        how = made_with(origin, MARKETPLACE_PRINCIPAL, "Organizations tools"),
    );
    if let Some(request) = cx.about.agreed {
        return agreed_disable(cx, origin, &headline, request);
    }
    let mut to_marketplace = Writer::new();
    to_marketplace.para(&headline);
    to_marketplace.who(origin);
    to_marketplace.todo(&[
        format!(
            "Disable the integration in the {}, if it is still shown as enabled.",
            marketplace_console()
        ),
        "Clean up what AWS Marketplace set up for the organization (shared licenses and grants).".into(),
        "Tell the AWS Organizations administrator when that is done: AWS asks them to wait for your \
         confirmation."
            .into(),
    ]);
    to_marketplace.summary(cx);
    let mut to_organizations = Writer::new();
    to_organizations.para(&headline);
    to_organizations.who(origin);
    to_organizations.todo(&[
        "Wait until the AWS Marketplace administrator tells you that they disabled the integration in \
         the AWS Marketplace console and that its resources have been cleaned up: AWS asks for this \
         before trusted access is disabled."
            .into(),
        format!(
            "If that confirmation had not been given, re-enable trusted access from the {} \
             and disable it from there once they agree.",
            marketplace_console()
        ),
    ]);
    to_organizations.role_policy(cx.policy.on_disable, "trusted access is disabled");
    to_organizations.summary(cx);
    let header = |audience| Header {
        audience,
        event: Event::TrustedAccessDisabled,
        severity: Severity::Warning,
        subject: "Warning: AWS Marketplace trusted access disabled; confirm clean-up before going on",
        origin: Some(origin),
        account: None,
    };
    vec![
        message(cx, header(Audience::MarketplaceAdmin), to_marketplace),
        message(cx, header(Audience::OrganizationsAdmin), to_organizations),
    ]
}

/// A disable with Organizations tools that the Marketplace administrator agreed to beforehand.
fn agreed_disable(
    cx: Context<'_>,
    origin: &Origin,
    headline: &str,
    request: &Handoff,
) -> Vec<Message> {
    [Audience::OrganizationsAdmin, Audience::MarketplaceAdmin]
        .into_iter()
        .map(|audience| {
            let mut b = Writer::new();
            b.para(headline);
            b.who(origin);
            super::handoffs::agreement(&mut b, request);
            b.role_policy(cx.policy.on_disable, "trusted access is disabled");
            b.summary(cx);
            let header = Header {
                audience,
                event: Event::TrustedAccessDisabled,
                severity: Severity::Info,
                subject: "AWS Marketplace trusted access disabled, as agreed",
                origin: Some(origin),
                account: None,
            };
            // Threaded, in chat, under the request it fulfils.
            Message {
                handoff: Some(request.id.clone()),
                ..message(cx, header, b)
            }
        })
        .collect()
}

/// Where the Marketplace administrator turns the integration on or off.
fn marketplace_console() -> String {
    format!(
        "AWS Marketplace console ({}) > Settings > AWS Organizations integration",
        MARKETPLACE.console_url
    )
}
