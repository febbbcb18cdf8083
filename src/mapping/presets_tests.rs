//! Detection on the header rows of `crm-exports.md`, verbatim (placeholders like
//! `<custom>` left out): each picks its preset and variant, whatever the column order.

use super::*;

fn headers(line: &str) -> Vec<String> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

const REFERENCE: &[(&str, &str, &str)] = &[
    (
        "hubspot",
        "default view export",
        r#""Record ID","First Name","Last Name","Email","Phone Number","Contact owner","Primary Associated Company ID","Last Activity Date","Lead Status","Marketing contact status","Create Date","Associated Company""#,
    ),
    (
        "hubspot",
        "all-properties export",
        r#""Record ID","First Name","Last Name","Annual Revenue","Average Pageviews","Became a Customer Date","Became a Lead Date","Became a Marketing Qualified Lead Date","Became a Sales Qualified Lead Date","Became a Subscriber Date","Became an Evangelist Date","Became an Opportunity Date","Became an Other Lifecycle Date","Buying Role","Buying Role Option","Campaign of last booking in meetings tool","City","Close Date","Company domain name","Company Name","Company size","Contact owner","Contact priority","Contact unworked","Country/Region","Create Date","Created by user ID","Currently in Sequence","Currently in workflow","Date of birth","Date of last meeting booked in meetings tool","Days To Close","Degree","Domain name","Domain to which registration email was sent","Email","Email address automated quarantine reason","Email address quarantine reason","Email Address Quarantined","Email Confirmed","Email Domain","Email hard bounce reason","Event Revenue","Facebook click id","Fax Number","Field of study","First Conversion","First Conversion Date","First Deal Created Date","First marketing email click date","First marketing email open date","First marketing email reply date","First marketing email send date","First Page Seen","First Referring Site","First Touch Converting Campaign","Gender","Google ad click id","Graduation date","HubSpot Score","HubSpot Team","","Industry","Invalid email address","IP City","IP Country","IP Country Code","IP State Code/Region Code","IP State/Region","IP Timezone","Job function","Job Title","Last Activity Date","Last Contacted","Last Engagement Date","Last marketing email click date","Last marketing email name","Last marketing email open date","Last marketing email reply date","Last marketing email send date","Last Modified Date","Last NPS survey comment","Last NPS survey date","Last NPS survey rating","Last Page Seen","Last Referring Site","Last sequence ended date","Last sequence enrolled","Last sequence enrolled date","Last Touch Converting Campaign","Latest Source","Latest Source Date","Latest Source Drill-Down 1","Latest Source Drill-Down 2","Lead Rating","Lead Status","Legal basis for processing contact's data","Lifecycle Stage","Likelihood to close","Marital Status","Marketing contact until next update","Marketing email confirmation status","Marketing emails bounced","Marketing emails clicked","Marketing emails delivered","Marketing emails opened","Marketing emails replied","Medium of last booking in meetings tool","Membership Notes","Message","Military status","Mobile Phone Number","Next Activity Date","Number of Associated Deals","Number of Employees","Number of event completions","Number of Form Submissions","Number of Pageviews","Number of Sales Activities","Number of sequences enrolled","Number of Sessions","Number of times contacted","Number of Unique Forms Submitted","Object create date/time","Opted out of email: Customer Service Communication","Original Source","Original Source Drill-Down 1","Original Source Drill-Down 2","Owner Assigned Date","Persona","Phone Number","Postal Code","Predictive Lead Score","Preferred language","Private e-mail address","Recent Conversion","Recent Conversion Date","Recent Deal Amount","Recent Deal Close Date","Recent Sales Email Clicked Date","Recent Sales Email Opened Date","Recent Sales Email Replied Date","Registered At","Relationship Status","Salutation","School","Sends Since Last Engagement","Seniority","Source of last booking in meetings tool","Start date","State/Region","Status","Street Address","Time between contact creation and deal close (HH:mm:ss)","Time between contact creation and deal creation (HH:mm:ss)","Time First Seen","Time Last Seen","Time of First Session","Time of Last Session","Time registration email was sent","Time to move from lead to customer (HH:mm:ss)","Time to move from marketing qualified lead to customer (HH:mm:ss)","Time to move from opportunity to customer (HH:mm:ss)","Time to move from sales qualified lead to customer (HH:mm:ss)","Time to move from subscriber to customer (HH:mm:ss)","Time Zone","Total Revenue","Twitter Username","Unsubscribed from all email","Website URL","WhatsApp Phone Number","Work email","Associated Company","Associated Deal","Associated Ticket","Associated Payment","Associated Subscription","Associated Company IDs","Associated Deal IDs","Associated Ticket IDs","Associated Payment IDs","Associated Subscription IDs""#,
    ),
    (
        "hubspot",
        "custom view export",
        r#"Record ID,First Name,Last Name,Email,Phone Number,City,Associated Company,Country/Region,Contact owner,Last Activity Date,Associated Company ID(s)"#,
    ),
    (
        "salesforce",
        "Data Export (API names)",
        r#""Id","IsDeleted","MasterRecordId","AccountId","LastName","FirstName","Salutation","Name","RecordTypeId","OtherStreet","OtherCity","OtherState","OtherPostalCode","OtherCountry","OtherLatitude","OtherLongitude","OtherGeocodeAccuracy","MailingStreet","MailingCity","MailingState","MailingPostalCode","MailingCountry","MailingLatitude","MailingLongitude","MailingGeocodeAccuracy","Phone","Fax","MobilePhone","HomePhone","OtherPhone","AssistantPhone","ReportsToId","Email","Title","Department","AssistantName","LeadSource","Birthdate","Description","OwnerId","HasOptedOutOfEmail","HasOptedOutOfFax","DoNotCall","CreatedDate","CreatedById","LastModifiedDate","LastModifiedById","SystemModstamp","LastActivityDate","LastCURequestDate","LastCUUpdateDate","EmailBouncedReason","EmailBouncedDate","Jigsaw","JigsawContactId""#,
    ),
    (
        "salesforce",
        "report export (field labels)",
        r#"Contact ID,First Name,Last Name,Mailing Street,Mailing City,Mailing State/Province,Mailing Zip/Postal Code,Mailing Country,Phone,Mobile,Email"#,
    ),
    (
        "salesforce",
        "report export (field labels)",
        r#""Contact Owner","Salutation","First Name","Last Name","Title","Account Name","Mailing Street","Mailing City","Mailing State/Province","Mailing Zip/Postal Code","Mailing Country","Phone","Mobile","Fax","Email","Lead Source","Birthdate","Created Date","Contact ID""#,
    ),
    (
        "salesforce",
        "report export (older labels)",
        r#"Description,Birthdate,Lead Source,Assistant,Asst. Phone,Mailing Street,Mailing Address Line1,Mailing Address Line2,Mailing Address Line3,Mailing City,Mailing State,Mailing Zip/Postal Code,Mailing Country,Other Street,Other City,Other State,Other Zip/Postal Code,Other Country,Phone,Mobile,Home Phone,Other Phone,Fax,Email,Email Opt Out,Do Not Call,Account Name,First Name,Last Name,Title"#,
    ),
    (
        "salesforce",
        "Data Loader extract (API names)",
        r#""ID","FIRSTNAME","LASTNAME","EMAIL","PHONE","MOBILEPHONE","MAILINGSTREET","MAILINGCITY","MAILINGSTATE","MAILINGPOSTALCODE","MAILINGCOUNTRY","ACCOUNT.NAME","OWNER.EMAIL","HASOPTEDOUTOFEMAIL","DONOTCALL""#,
    ),
    (
        "pipedrive",
        "people export",
        r#""Person - ID","Person - Organization ID","Person - Name","Person - First name","Person - Last name","Person - Job title","Person - Email - Work","Person - Email - Home","Person - Email - Other","Person - Phone - Work","Person - Phone - Mobile","Person - Phone - Home","Person - Phone - Other","Person - Instant messenger","Person - Labels","Person - Full/combined address of Postal address","Person - City/town/village/locality of Postal address","Person - State/county of Postal address","Person - Region of Postal address","Person - Country of Postal address","Person - ZIP/Postal code of Postal address","Person - Notes","Person - Person created","Person - Update time""#,
    ),
    (
        "pipedrive",
        "people export (older account)",
        r#""Person - ID","Person - Name","Person - Email - Work","Person - Email - Home","Person - Phone - Work","Person - Phone - Mobile","Person - Organization","Person - Label","Person - Postal address","Person - Owner","Person - Notes","Person - Update time""#,
    ),
    (
        "mailchimp",
        "members export with unsubscribe columns",
        r#""Email Address",Name,"ZIP code","Help time",Country,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,"MailChimp Integration",Languages,"Help Location",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES"#,
    ),
    (
        "mailchimp",
        "subscribed members export",
        r#""Email Address","First Name","Last Name","Zip Code",Country,"Full Address",MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES"#,
    ),
    (
        "mailchimp",
        "subscribed members export",
        r#"Email,"First Name","Last Name",Position,Company,ORIGIN,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS"#,
    ),
    (
        "mailchimp",
        "subscribed members export",
        r#""First Name","Last Name",Phone,"Email Address",Address,Apt.,City,State,Zip,EMAIL_TYPE,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS"#,
    ),
    (
        "mailchimp",
        "subscribed members export",
        r#""Email Address","First Name","Last Name",Address,"Phone Number",Birthday,Company,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS"#,
    ),
    (
        "mailchimp",
        "members export with unsubscribe columns",
        r#""Email Address","First Name","Last Name",Address,"Phone Number",Birthday,Company,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER"#,
    ),
    (
        "mailchimp",
        "cleaned members export",
        r#""Email Address","First Name","Last Name",Address,"Phone Number",Birthday,Company,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID"#,
    ),
    (
        "zoho",
        "contacts export",
        r#""Record Id","Contact Owner.id","Contact Owner","Lead Source","First Name","Last Name","Email","Title","Phone","Fax","Mobile","Date of Birth","Created By.id","Created By","Modified By.id","Modified By","Created Time","Modified Time","Contact Name","Mailing Street","Mailing City","Mailing State","Mailing Zip","Email Opt Out","Salutation","Secondary Email","Currency","Exchange Rate","Last Activity Time","Tag","Data Processing Basis Details.id","Data Processing Basis","Data Source","Unsubscribed Mode","Unsubscribed Time","Change Log Time","Locked","Last Enriched Time","Enrich Status","Connected To.module","Connected To.id""#,
    ),
    (
        "zoho",
        "contacts export",
        r#""Record Id","Contact Owner.id","Contact Owner","Lead Source","First Name","Last Name","Account Name.id","Account Name","Vendor Name.id","Vendor Name","Email","Title","Department","Phone","Mobile","Created By.id","Created By","Modified By.id","Modified By","Created Time","Modified Time","Contact Name","Description","Email Opt Out","Salutation","Last Activity Time","Tag","Reporting To.id","Reporting To","Unsubscribed Mode","Unsubscribed Time","Change Log Time""#,
    ),
    (
        "zoho",
        "contacts export",
        r#""Contact Owner.id","Contact Owner","First Name","Last Name","Account Name.id","Account Name","Email","Title","Phone","Mobile","Created By.id","Created By","Modified By.id","Modified By","Created Time","Modified Time","Contact Name","Mailing Street","Mailing City","Mailing State","Mailing Zip","Mailing Country","Email Opt Out","Salutation","Last Activity Time""#,
    ),
    (
        "keap",
        "Max Classic (Infusionsoft) export",
        r#""Id","Name","First Name","Last Name","Spouse Name","Birthday","Company Name","Company Id","Phone 1","Phone 1 Ext","Phone 1 Type","Phone 2","Phone 2 Ext","Phone 2 Type","Phone 3","Phone 3 Ext","Phone 3 Type","Email","Email Address 2","Email Address 3","Fax 1","Fax 1 Type","Fax 2","Fax 2 Type","Street Address 1","Street Address 2","City","State","Postal Code","Zip Four","Country","Street Address 1 (Shipping)","Street Address 2 (Shipping)","City (Shipping)","State (Shipping)","Postal Code (Shipping)","Zip Four (Shipping)","Country (Shipping)","Twitter","Facebook","LinkedIn","Street Address 1 (Optional)","Street Address 2 (Optional)","City (Optional)","State (Optional)","Postal Code (Optional)","Zip Four (Optional)","Country (Optional)","Phone 4","Phone 4 Ext","Phone 4 Type","Phone 5","Phone 5 Ext","Phone 5 Type","Tag Ids","Tags","Person Type","Job Title","Website","SSN","Last 4 SSN","Middle Name","Nickname","Username","Password","Assistant Name","Assistant Phone","Title","Suffix","Anniversary","Created By","Date Created","Last Updated","OwnerID","Language","Time Zone","Owner","Lead Source","Lead Source Category","Referral Code","Add Method","Date Added","Dateof Last Followup","Message","Name 1","Status","Verified","OraPassword","Date Entered","Latest IP","Original IP","Lead Score""#,
    ),
    (
        "keap",
        "Keap export",
        r#"Id,First Name,Middle Name,Last Name,Nickname,Title,Suffix,Email,Email 2,Email 3,Phone 1,Phone 1 Ext,Phone 1 Type,Phone 2,Phone 2 Ext,Phone 2 Type,Fax 1,Fax 1 Type,Billing Address Street 1,Billing Address Street 2,Billing Address City,Billing Address State,Billing Address Postal Code,Billing Address Zip Four,Billing Address Country,Company,Job Title,Website,Birthday,Anniversary,Spouse Name,Person Notes,Person Type,Tags,Time Zone,Lead Source Id,Date Created,Last Updated"#,
    ),
    (
        "google",
        "Google CSV",
        r#"First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,Organization Title,Organization Department,Birthday,Notes,Photo,Labels,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Address 1 - Label,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address,Website 1 - Label,Website 1 - Value,Event 1 - Label,Event 1 - Value,Custom Field 1 - Label,Custom Field 1 - Value"#,
    ),
    (
        "google",
        "legacy Google CSV",
        r#"Name,Given Name,Additional Name,Family Name,Yomi Name,Given Name Yomi,Additional Name Yomi,Family Name Yomi,Name Prefix,Name Suffix,Initials,Nickname,Short Name,Maiden Name,Birthday,Gender,Location,Billing Information,Directory Server,Mileage,Occupation,Hobby,Sensitivity,Priority,Subject,Notes,Language,Photo,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Address 1 - Type,Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address,Organization 1 - Type,Organization 1 - Name,Organization 1 - Yomi Name,Organization 1 - Title,Organization 1 - Department,Organization 1 - Symbol,Organization 1 - Location,Organization 1 - Job Description"#,
    ),
    (
        "outlook",
        "outlook.com export",
        r#"First Name,Middle Name,Last Name,Title,Suffix,Nickname,Given Yomi,Surname Yomi,E-mail Address,E-mail 2 Address,E-mail 3 Address,Home Phone,Home Phone 2,Business Phone,Business Phone 2,Mobile Phone,Car Phone,Other Phone,Primary Phone,Pager,Business Fax,Home Fax,Other Fax,Company Main Phone,Callback,Radio Phone,Telex,TTY/TDD Phone,IMAddress,Job Title,Department,Company,Office Location,Manager's Name,Assistant's Name,Assistant's Phone,Company Yomi,Business Street,Business City,Business State,Business Postal Code,Business Country/Region,Home Street,Home City,Home State,Home Postal Code,Home Country/Region,Other Street,Other City,Other State,Other Postal Code,Other Country/Region,Personal Web Page,Spouse,Schools,Hobby,Location,Web Page,Birthday,Anniversary,Notes"#,
    ),
    (
        "outlook",
        "Google's Outlook CSV",
        r#"First Name,Middle Name,Last Name,Title,Suffix,Initials,Web Page,Gender,Birthday,Anniversary,Location,Language,Internet Free Busy,Notes,E-mail Address,E-mail 2 Address,E-mail 3 Address,Primary Phone,Home Phone,Home Phone 2,Mobile Phone,Pager,Home Fax,Home Address,Home Street,Home Street 2,Home Street 3,Home Address PO Box,Home City,Home State,Home Postal Code,Home Country,Spouse,Children,Manager's Name,Assistant's Name,Referred By,Company Main Phone,Business Phone,Business Phone 2,Business Fax,Assistant's Phone,Company,Job Title,Department,Office Location,Organizational ID Number,Profession,Account,Business Address,Business Street,Business Street 2,Business Street 3,Business Address PO Box,Business City,Business State,Business Postal Code,Business Country,Other Phone,Other Fax,Other Address,Other Street,Other Street 2,Other Street 3,Other Address PO Box,Other City,Other State,Other Postal Code,Other Country,Callback,Car Phone,ISDN,Radio Phone,TTY/TDD Phone,Telex,User 1,User 2,User 3,User 4,Keywords,Mileage,Hobby,Billing Information,Directory Server,Sensitivity,Priority,Private,Categories"#,
    ),
    (
        "outlook",
        "classic desktop Outlook export",
        r#""Title","First Name","Middle Name","Last Name","Suffix","Company","Department","Job Title","Business Street","Business Street 2","Business Street 3","Business City","Business State","Business Postal Code","Business Country/Region","Home Street","Home Street 2","Home Street 3","Home City","Home State","Home Postal Code","Home Country/Region","Other Street","Other Street 2","Other Street 3","Other City","Other State","Other Postal Code","Other Country/Region","Assistant's Phone","Business Fax","Business Phone","Business Phone 2","Callback","Car Phone","Company Main Phone","Home Fax","Home Phone","Home Phone 2","ISDN","Mobile Phone","Other Fax","Other Phone","Pager","Primary Phone","Radio Phone","TTY/TDD Phone","Telex","Account","Anniversary","Assistant's Name","Billing Information","Birthday","Business Address PO Box","Categories","Children","Directory Server","E-mail Address","E-mail Type","E-mail Display Name","E-mail 2 Address","E-mail 2 Type","E-mail 2 Display Name","E-mail 3 Address","E-mail 3 Type","E-mail 3 Display Name","Gender","Government ID Number","Hobby","Home Address PO Box","Initials","Internet Free Busy","Keywords","Language","Location","Manager's Name","Mileage","Notes","Office Location","Organizational ID Number","Other Address PO Box","Priority","Private","Profession","Referred By","Sensitivity","Spouse","User 1","User 2","User 3","User 4","Web Page""#,
    ),
];

#[test]
fn every_reference_header_row_picks_its_preset_and_variant() {
    assert_eq!(all().len(), IDS.len(), "every built-in preset parses");
    for (id, variant, line) in REFERENCE {
        let mut h = headers(line);
        let d = detect(&h).unwrap_or_else(|| {
            panic!(
                "no preset for {id} {variant}: {:?}",
                scores(&h)
                    .first()
                    .map(|d| (d.preset.id, d.matched, d.total))
            )
        });
        assert_eq!(
            (d.preset.id, d.variant.name.as_str()),
            (*id, *variant),
            "{line}"
        );
        // Never by order.
        h.reverse();
        assert_eq!(detect(&h).map(|d| d.preset.id), Some(*id));
    }
}

/// Exports of a column set the user chose (audit files): fewer of the layout's columns, yet
/// the export's own.
const CHOSEN: &[(&str, &str)] = &[
    (
        "zoho",
        r#""Record Id","Contact Owner.id","Contact Owner","Lead Source","First Name","Last Name","Email","Title","Phone","Fax","Mobile","Date of Birth","Created Time","Mailing Street","Mailing City","Mailing State","Mailing Zip","Mailing Country","Salutation","Secondary Email","Tag""#,
    ),
    (
        "zoho",
        r#""Record Id","Contact Owner.id","Contact Owner","First Name","Last Name","Email","Phone","Mobile","Mailing Street","Mailing City","Mailing State","Mailing Zip","Mailing Country","Secondary Email","Tag""#,
    ),
];

#[test]
fn a_chosen_column_set_is_detected_by_the_headers_only_its_export_has() {
    for (id, line) in CHOSEN {
        let mut h = headers(line);
        let d = detect(&h).unwrap_or_else(|| panic!("no preset for {line}"));
        assert_eq!(d.preset.id, *id, "{line}");
        assert!(d.unique >= MIN_UNIQUE, "{d:?}");
        h.reverse();
        assert_eq!(detect(&h).map(|d| d.preset.id), Some(*id));
    }
}

#[test]
fn a_zoho_export_keeps_its_postal_code_and_secondary_email() {
    use crate::contact::Field;
    use crate::mapping::Mapper;
    let h = headers(CHOSEN[0].1);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.preset(), Some("Zoho CRM"));
    assert!(
        m.unmapped_columns().is_empty(),
        "{:?}",
        m.unmapped_columns()
    );
    let described = m.describe();
    let target = |col: &str| {
        described
            .iter()
            .find(|(c, _)| c == col)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    assert!(target("Mailing Zip").starts_with(Field::PostalCode.api_name()));
    assert!(target("Secondary Email").starts_with(Field::Email.api_name()));
    let notice = m.preset_notice().unwrap();
    assert!(notice.contains("found in no other export"), "{notice}");
}

#[test]
fn a_preset_imports_the_columns_it_does_not_know_as_they_would_be_without_it() {
    use crate::contact::Field;
    use crate::input::{Record, RecordValues};
    use crate::mapping::{Mapper, MappingSpec, PresetChoice, RawValue, Target};
    // Salesforce report labels, plus a postal code and a second email under other names.
    let h = headers(
        "First Name,Last Name,Email,Mailing Street,Mailing City,Mailing State/Province,Mailing Zip,Mailing Country,Other Street,Other City,Other Zip,Secondary Email",
    );
    let spec = MappingSpec::from_preset(PresetChoice::Named("salesforce".into()));
    let m = Mapper::new(Some(&spec), Some(&h)).unwrap();
    assert!(
        m.unmapped_columns().is_empty(),
        "{:?}",
        m.unmapped_columns()
    );
    let record = Record {
        seq: 0,
        row: 2,
        values: RecordValues::Cells(
            [
                "Kim",
                "Park",
                "",
                "1 Elm",
                "Austin",
                "TX",
                "78701",
                "USA",
                "9 Oak",
                "Dallas",
                "75001",
                "kim2@example.com",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ),
    };
    let mapped = m.map(&record);
    let value = |f: Field| {
        mapped
            .values
            .iter()
            .find(|v| v.target == Target::Field(f))
            .map(|v| {
                (
                    v.column.as_deref().unwrap_or_default().to_owned(),
                    v.value.clone(),
                )
            })
    };
    // The mailing block's own postal code, never the other block's.
    assert_eq!(
        value(Field::PostalCode),
        Some(("Mailing Zip".into(), RawValue::Text("78701".into())))
    );
    assert_eq!(
        value(Field::Email),
        Some((
            "Secondary Email".into(),
            RawValue::Text("kim2@example.com".into())
        ))
    );
}

#[test]
fn ordinary_files_get_no_preset() {
    for line in [
        "First Name,Last Name,Email,Phone,Company Name,Address,City,State,Postal Code,Country,Date of Birth,Tags,Source",
        "firstName,lastName,email,phone,address1,city,state,postalCode,country,tags,dnd",
        "Contact Id,First Name,Last Name,Name,Phone,Email,Created,Last Activity,Tags",
        "Name,Email,Phone,Mobile,Company,Street,City,Zip,Country,Birthday,Notes",
        "Id,FirstName,LastName,Email,Phone",
        "Email,First Name,Last Name,Title,Company,Phone,Mobile,Home Phone,Other Phone,Fax",
        // Keap's few chosen columns, or any file's: `Phone 1` alone does not say Keap.
        "First Name,Last Name,Email,Phone 1,Birthday,Tags",
    ] {
        let h = headers(line);
        assert!(detect(&h).is_none(), "{line}: {:?}", detect(&h).map(|d| d.preset.id));
    }
}

mod mapping_options {
    use crate::contact::Field;
    use crate::input::{Record, RecordValues};
    use crate::mapping::{Mapper, MappingSpec, RawValue, Target};

    fn mapper(toml: &str, headers: &[&str]) -> Mapper {
        let spec = MappingSpec::parse(toml, "m.toml").unwrap();
        let h: Vec<String> = headers.iter().map(|s| s.to_string()).collect();
        Mapper::new(Some(&spec), Some(&h)).unwrap()
    }

    fn record(cells: &[&str]) -> Record {
        Record {
            seq: 0,
            row: 2,
            values: RecordValues::Cells(cells.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn values(m: &Mapper, cells: &[&str], field: Field) -> Vec<(String, RawValue<'static>)> {
        let owned = |v: RawValue<'_>| match v {
            RawValue::Text(t) => RawValue::Text(t.into_owned().into()),
            RawValue::List(l) => RawValue::List(l),
            RawValue::Bool(b) => RawValue::Bool(b),
            RawValue::Number(n) => RawValue::Number(n),
        };
        let record = record(cells);
        m.map(&record)
            .values
            .into_iter()
            .filter(|v| v.target == Target::Field(field))
            .map(|v| {
                (
                    v.column.as_deref().unwrap_or_default().to_owned(),
                    owned(v.value),
                )
            })
            .collect()
    }

    const BLOCKS: &str = r#"
auto = false
[columns]
"Work Street" = { field = "address1", group = "address" }
"Work City" = { field = "city", group = "address" }
"Home Street" = { field = "address1", fallback = 1, group = "address" }
"Home City" = { field = "city", fallback = 1, group = "address" }
"Other Street" = { field = "address1", fallback = 2, group = "address" }
"Other City" = { field = "city", fallback = 2, group = "address" }
"#;
    const HEADERS: [&str; 6] = [
        "Other Street",
        "Other City",
        "Home Street",
        "Home City",
        "Work Street",
        "Work City",
    ];

    #[test]
    fn address_blocks_are_never_mixed() {
        let m = mapper(BLOCKS, &HEADERS);
        let city = |cells: &[&str]| values(&m, cells, Field::City);
        let street = |cells: &[&str]| values(&m, cells, Field::Address1);
        // The work block has only a city: the first block with a street, whole, instead.
        let row = [
            "9 Other Rd",
            "Otherton",
            "1 Home St",
            "Hometown",
            "",
            "Worktown",
        ];
        assert_eq!(street(&row)[0].0, "Home Street");
        assert_eq!(
            city(&row),
            [("Home City".into(), RawValue::Text("Hometown".into()))]
        );
        // The work block has a street: it wins, its empty city not filled from home.
        let row = [
            "9 Other Rd",
            "Otherton",
            "1 Home St",
            "Hometown",
            "5 Work Ave",
            "",
        ];
        assert_eq!(street(&row)[0].0, "Work Street");
        assert_eq!(city(&row), []);
        // No work block, a home block with only a city: the other block, with its street.
        let row = ["9 Other Rd", "Otherton", "", "Hometown", "", ""];
        assert_eq!(street(&row)[0].0, "Other Street");
        assert_eq!(city(&row)[0].0, "Other City");
        // No block with a street: the first with a value, whole.
        let row = ["", "Otherton", "", "Hometown", "", ""];
        assert_eq!(
            city(&row),
            [("Home City".into(), RawValue::Text("Hometown".into()))]
        );
        // Neither: the other block.
        let row = ["9 Other Rd", "Otherton", "", "", "", ""];
        assert_eq!(street(&row)[0].0, "Other Street");
        assert_eq!(city(&row)[0].0, "Other City");
    }

    #[test]
    fn a_second_street_line_is_joined_to_its_own_blocks_street() {
        let m = mapper(
            r#"
auto = false
[columns]
"Street" = { field = "address1", group = "address" }
"Street 2" = { field = "address1", append = true, group = "address" }
"City" = { field = "city", group = "address" }
"Ship Street" = { field = "address1", fallback = 1, group = "address" }
"Ship Street 2" = { field = "address1", append = true, fallback = 1, group = "address" }
"Ship City" = { field = "city", fallback = 1, group = "address" }
"#,
            &[
                "Street",
                "Street 2",
                "City",
                "Ship Street",
                "Ship Street 2",
                "Ship City",
            ],
        );
        let street = |cells: &[&str]| values(&m, cells, Field::Address1);
        let text = |s: &str| RawValue::Text(s.to_owned().into());
        // Both lines of the row's own block, the shipping block not used.
        assert_eq!(
            street(&[
                "1 Main St",
                "Suite 4",
                "Boston",
                "9 Dock Rd",
                "Bay 2",
                "Salem"
            ]),
            [("Street".to_owned(), text("1 Main St, Suite 4"))]
        );
        // No billing block: the shipping block, both its lines.
        assert_eq!(
            street(&["", "", "", "9 Dock Rd", "Bay 2", "Salem"]),
            [("Ship Street".to_owned(), text("9 Dock Rd, Bay 2"))]
        );
        // Only the billing block's second line: it is that block's street, never mixed
        // with the shipping block's.
        assert_eq!(
            street(&["", "Apt 7", "", "9 Dock Rd", "", "Salem"]),
            [("Street 2".to_owned(), text("Apt 7"))]
        );
        assert!(values(
            &m,
            &["", "Apt 7", "", "9 Dock Rd", "", "Salem"],
            Field::City
        )
        .is_empty());
        // A shipping block whose only value is its second line is still the block used.
        assert_eq!(
            street(&["", "", "", "", "Bay 2", ""]),
            [("Ship Street 2".to_owned(), text("Bay 2"))]
        );
    }

    #[test]
    fn append_is_only_for_the_street() {
        let err = MappingSpec::parse(
            "[columns]\n\"Town 2\" = { field = \"city\", append = true }\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`append` only applies to address1, not city"),
            "{err}"
        );
    }

    #[test]
    fn address_line_2_and_apt_columns_are_found_by_name_and_joined() {
        let h: Vec<String> = ["Email", "Address Line 1", "Address Line 2", "Apt.", "City"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = Mapper::new(None, Some(&h)).unwrap();
        let street = values(
            &m,
            &["a@x.com", "1 Main St", "Floor 3", "Apt 7", "Oslo"],
            Field::Address1,
        );
        assert_eq!(
            street,
            [(
                "Address Line 1".to_owned(),
                RawValue::Text("1 Main St, Floor 3, Apt 7".into())
            )]
        );
    }

    #[test]
    fn fallbacks_go_by_rank_not_by_column_order() {
        let m = mapper(
            "[columns]\n\"Home\" = { field = \"phone\", fallback = 2 }\n\"Work\" = { field = \"phone\", fallback = 1 }\n\"Mobile\" = \"phone\"\n",
            &["Home", "Work", "Mobile"],
        );
        let phone = |cells: &[&str]| values(&m, cells, Field::Phone);
        assert_eq!(phone(&["1", "2", "3"])[0].0, "Mobile");
        assert_eq!(phone(&["1", "2", ""])[0].0, "Work");
        assert_eq!(phone(&["1", "", ""])[0].0, "Home");
    }

    #[test]
    fn empty_values_patterns_skips_and_filled_opt_outs() {
        let m = mapper(
            r#"empty_values = ["000000000000000AAA"]
[columns]
"*.id" = "ignore"
"Owner.id" = "contact.owner_id"
"IsDeleted" = { skip_row_when = ["1", "TRUE"], reason = "deleted" }
"Unsub" = { field = "dndSettings.Email", filled = true }
"Opt Out" = "dndSettings.Email"
"Labels" = { field = "tags", split = ":::", drop_prefix = "* ", drop = ["Starred"] }
"#,
            &[
                "Email",
                "Account.id",
                "Owner.id",
                "IsDeleted",
                "Unsub",
                "Opt Out",
                "Labels",
            ],
        );
        let r = record(&[
            "a@x.com",
            "001",
            "000000000000000AAA",
            "true",
            "2024-01-01",
            "no",
            "VIP ::: * myContacts ::: starred",
        ]);
        assert_eq!(m.skip_reason(&r).as_deref(), Some("not sent: deleted"));
        let mapped = m.map(&r);
        let targets: Vec<String> = mapped.values.iter().map(|v| v.target.to_string()).collect();
        // The pattern ignores Account.id; Owner.id is named outright but its value is empty.
        assert_eq!(
            targets,
            ["email", "dndSettings.Email", "dndSettings.Email", "tags"]
        );
        assert_eq!(mapped.values[1].value, RawValue::Bool(true));
        assert_eq!(mapped.values[3].value, RawValue::List(vec!["VIP".into()]));
        assert_eq!(
            m.skip_reason(&record(&["a@x.com", "", "", "0", "", "", ""])),
            None
        );
    }

    #[test]
    fn mailchimps_first_column_is_the_email_whatever_its_label() {
        const SYSTEM: &str = "MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES";
        let layout = |first: &str| -> Vec<String> {
            format!("{first},{SYSTEM}")
                .split(',')
                .map(str::to_owned)
                .collect()
        };
        fn row<'a>(cells: &[&'a str]) -> Vec<&'a str> {
            let mut r = cells.to_vec();
            r.resize(cells.len() + 16, "");
            r
        }
        let h = layout("E-Mail-Adresse,Vorname");
        let m = Mapper::new(None, Some(&h)).unwrap();
        assert_eq!(m.preset(), Some("Mailchimp"));
        let v = values(&m, &row(&["jo@example.de", "Jo"]), Field::Email);
        assert_eq!(
            v,
            [(
                "E-Mail-Adresse".into(),
                RawValue::Text("jo@example.de".into())
            )]
        );
        // A file laid out otherwise (a hand-made fixture): its email column is the email.
        let h = layout("First Name,Phone,Email Address");
        let m = Mapper::new(None, Some(&h)).unwrap();
        assert_eq!(m.preset(), Some("Mailchimp"));
        let cells = row(&["Jo", "", "jo@example.de"]);
        assert_eq!(values(&m, &cells, Field::Email)[0].0, "Email Address");
        assert_eq!(values(&m, &cells, Field::FirstName).len(), 1);
    }
}

#[test]
fn opt_out_headers_are_recognised_without_a_preset() {
    use crate::contact::Field;
    use crate::mapping::{detect_target, Target};
    for (h, f) in [
        ("Email Opt Out", Field::DndEmail),
        ("HasOptedOutOfEmail", Field::DndEmail),
        ("Do Not Call", Field::DndCall),
        ("SMS opt-out", Field::DndSms),
        ("DND", Field::Dnd),
    ] {
        assert_eq!(detect_target(h), Some(Target::Field(f)), "{h}");
    }
}

#[test]
fn a_few_person_columns_are_pipedrive_by_their_prefix_and_a_full_export_keeps_its_layout() {
    let few = headers(
        r#""Person - Name","Person - Email - Work","Person - Phone - Work","Person - Labels""#,
    );
    let d = detect(&few).expect("Pipedrive");
    assert_eq!(
        (d.preset.id, d.variant.name.as_str(), d.matched, d.total),
        ("pipedrive", "people export (chosen columns)", 4, 4)
    );
    assert_eq!(d.found(&few).len(), 4);
    // Two prefixed columns are not enough, nor a file where they are the minority.
    assert!(detect(&headers(r#""Person - Name","Person - Email - Work""#)).is_none());
    assert!(detect(&headers(
        "Person - Name,Person - Email - Work,Person - Phone - Work,Email,Phone,City,State,Zip,Notes"
    ))
    .is_none());
}

#[test]
fn a_pipedrive_deals_export_counts_its_deal_and_organization_columns_only_beside_person_ones() {
    let deals = headers(
        r#""Deal - ID","Deal - Title","Deal - Value","Deal - Stage","Person - Name","Person - Email - Work","Person - Phone - Work","Organization - Name""#,
    );
    let d = detect(&deals).expect("Pipedrive");
    assert_eq!(
        (d.preset.id, d.variant.name.as_str(), d.matched, d.total),
        ("pipedrive", "deals export (its people)", 8, 8)
    );
    assert_eq!(d.found(&deals).len(), 8);
    // Deals and organizations without a person column are no people export.
    assert!(detect(&headers(
        r#""Deal - ID","Deal - Title","Deal - Value","Organization - Name","Organization - Address""#
    ))
    .is_none());
}

#[test]
fn mailchimp_unsubscribe_and_clean_times_opt_out_of_email_without_the_preset() {
    use crate::contact::Field;
    use crate::input::{Record, RecordValues};
    use crate::mapping::{Mapper, RawValue, Target};
    let h = headers(r#""Email Address","First Name",UNSUB_TIME,CLEAN_TIME"#);
    let m = Mapper::new(None, Some(&h)).unwrap();
    assert_eq!(m.preset(), None);
    assert!(m.unmapped_columns().is_empty());
    let notice = m.notes_notice().unwrap();
    assert!(notice.contains("column 'UNSUB_TIME'"), "{notice}");
    assert!(notice.contains("column 'CLEAN_TIME'"), "{notice}");
    let opt_outs = |cells: &[&str]| {
        let record = Record {
            seq: 0,
            row: 2,
            values: RecordValues::Cells(cells.iter().map(|s| s.to_string()).collect()),
        };
        m.map(&record)
            .values
            .iter()
            .filter(|v| v.target == Target::Field(Field::DndEmail))
            .map(|v| format!("{:?}", v.value))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        opt_outs(&["a@x.com", "Ann", "2024-02-11 18:03:44", ""]),
        [format!("{:?}", RawValue::Bool(true))]
    );
    assert_eq!(
        opt_outs(&["a@x.com", "Ann", "", "2024-05-02 08:00:00"]),
        [format!("{:?}", RawValue::Bool(true))]
    );
    assert!(opt_outs(&["a@x.com", "Ann", "", ""]).is_empty());
}

#[test]
fn outlook_imports_gender_and_says_it_reads_dates_month_first() {
    use crate::mapping::Mapper;
    use crate::validation::dates::DateOrder;
    let classic = REFERENCE
        .iter()
        .find(|(_, v, _)| *v == "classic desktop Outlook export")
        .unwrap()
        .2;
    let m = Mapper::new(None, Some(&headers(classic))).unwrap();
    assert_eq!(m.preset(), Some("Outlook"));
    let gender = m
        .describe()
        .into_iter()
        .find(|(c, _)| c == "Gender")
        .unwrap();
    assert_eq!(gender.1, "gender");
    assert_eq!(
        m.preset_date_order().map(|(_, o)| o),
        Some(DateOrder::MonthFirst)
    );
    let notice = m.preset_notice().unwrap();
    assert!(
        notice.contains("month-first (M/D/YYYY) as Outlook writes them"),
        "{notice}"
    );
    let keap = REFERENCE.iter().find(|(id, _, _)| *id == "keap").unwrap().2;
    let m = Mapper::new(None, Some(&headers(keap))).unwrap();
    assert_eq!(
        m.preset_date_order().map(|(_, o)| o),
        Some(DateOrder::MonthFirst)
    );
}
