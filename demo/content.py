"""Static content of the French demo dataset (data only): names, towns, client and agency facts, users, notes.

`demo.data` draws from these tables and `demo.command` writes the collectors' notes from them. Everything
here is fiction: `.example` domains, made-up companies, and telephone numbers from the blocks reserved for it.
"""

from __future__ import annotations

MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()

# Real towns (postcode, city), so that letters look right; Faker's French cities are invented names.
TOWNS = (
    ("69003", "Lyon"),
    ("69100", "Villeurbanne"),
    ("13005", "Marseille"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("44000", "Nantes"),
    ("59000", "Lille"),
    ("67000", "Strasbourg"),
    ("35000", "Rennes"),
    ("34000", "Montpellier"),
    ("06000", "Nice"),
    ("38000", "Grenoble"),
    ("42000", "Saint-Étienne"),
    ("21000", "Dijon"),
    ("37000", "Tours"),
    ("63000", "Clermont-Ferrand"),
    ("75011", "Paris"),
    ("75018", "Paris"),
    ("93100", "Montreuil"),
    ("92100", "Boulogne-Billancourt"),
    ("76000", "Rouen"),
    ("51100", "Reims"),
    ("49000", "Angers"),
    ("87000", "Limoges"),
    ("26000", "Valence"),
)

# Blocks ARCEP reserves for fiction (01 99 00 xx xx, 04 65 71 xx xx…): valid numbers that ring nobody.
FICTION_LANDLINES = ("+3319900", "+3326191", "+3335301", "+3346571", "+3353649")

# Debtor companies are named "<trade> <surname> <legal form>".
TRADES = (
    "Boulangerie Restaurant Épicerie Garage Transports Menuiserie Pharmacie Brasserie Boucherie"
    " Cave Hôtel Plomberie Café Traiteur Fromagerie"
).split()
LEGAL_FORMS = ("SARL", "SAS", "EURL", "SASU", "SNC")

# The creditors, as the fields of `demo.data.ClientSpec`.
CLIENTS = (
    {
        "row": {
            "code": "ENERGIA",
            "name": "Énergia Sud-Est SA",
            "address_line1": "12 boulevard de Dunkerque",
            "postcode": "13002",
            "city": "Marseille",
            "phone": "+33465710120",
            "email": "recouvrement@energia-sud-est.example",
        },
        "siren_body": "51234987",
        "bank_code": "3000301234",
        "terms": {
            "commission_bp": 1200,
            "fixed_fee_cents": 500,
            "claims_penalties": False,
            "max_discount_bp": 1000,
        },
        "invoice_prefix": "EN",
        "customer_prefix": "PDL",
        "takes_persons": True,
        "descriptions": (
            "Facture d'électricité — {month} {year}",
            "Facture de gaz naturel — {month} {year}",
            "Facture de régularisation annuelle {year}",
            "Facture de mise en service",
        ),
    },
    {
        "row": {
            "code": "GROSSISTE",
            "name": "Comptoir Rhodanien de Distribution SAS",
            "address_line1": "4 rue Marcel Mérieux",
            "postcode": "69960",
            "city": "Corbas",
            "phone": "+33465710230",
            "email": "comptabilite@comptoir-rhodanien.example",
        },
        "siren_body": "44871236",
        "bank_code": "3000200458",
        "terms": {
            "commission_bp": 1500,
            "fixed_fee_cents": 0,
            "claims_penalties": True,  # late interest on its business customers' invoices (L441-10)
            "claims_indemnity": True,  # and the €40 indemnity per late invoice (D441-5)
            "max_discount_bp": 500,
        },
        "invoice_prefix": "CRD-",
        "customer_prefix": "C",
        "takes_persons": False,
        "descriptions": (
            "Livraison de marchandises — bon n° {n}",
            "Fournitures d'épicerie — {month} {year}",
            "Commande de boissons — {month} {year}",
            "Produits frais — semaine {n}",
        ),
    },
    {
        "row": {
            "code": "TELECOM",
            "name": "Fibréa Télécom SAS",
            "address_line1": "27 rue de Clichy",
            "postcode": "75009",
            "city": "Paris",
            "phone": "+33199000450",
            "email": "impayes@fibrea-telecom.example",
        },
        "siren_body": "79032158",
        "bank_code": "1090700912",
        "terms": {
            "commission_bp": 2000,
            "fixed_fee_cents": 300,
            "claims_penalties": False,
            "max_discount_bp": 1500,
        },
        "invoice_prefix": "FT",
        "customer_prefix": "L",
        "takes_persons": True,
        "descriptions": (
            "Abonnement fibre — {month} {year}",
            "Forfait mobile — {month} {year}",
            "Frais de résiliation anticipée",
            "Box non restituée",
        ),
    },
)

# One user per role: (e-mail, password, role, name[, client code]), as the fields of `demo.data.DemoUser`.
# `.example`, not `.test`: the e-mail validator behind sign-in refuses the `.test` special-use domain.
USERS = (
    ("admin@amiable.example", "admin-demo-2026", "admin", "Isabelle Moreau"),
    ("manager@amiable.example", "manager-demo-2026", "manager", "Julien Garnier"),
    ("collector@amiable.example", "collector-demo-2026", "collector", "Camille Roux"),
    ("client@amiable.example", "client-demo-2026", "client", "Nathalie Perrin", "ENERGIA"),
)
# Admins and managers sign in with a second factor: the demo enrols them with these fixed keys (printed with the
# logins, in the README too), to add to an authenticator app or to compute a code with pyotp.
TOTP_SECRETS = {
    "admin@amiable.example": "AMIABLEDEMOADMINISTRATEUR2345672",
    "manager@amiable.example": "AMIABLEDEMORESPONSABLE2345672ABC",
}

# The agency profile's columns, SIREN, VAT number and trust account aside.
AGENCY = {
    "name": "Delorme & Associés Recouvrement",
    "legal_form": "SAS",
    "address_line1": "18 rue de la République",
    "address_line2": "3e étage",
    "postcode": "69002",
    "city": "Lyon",
    "country": "FR",
    "phone": "+33465710042",
    "email": "contact@delorme-recouvrement.example",
    "website": "https://www.delorme-recouvrement.example",
    "trust_bank_name": "BNP Paribas Lyon République",
    "insurer_name": "MMA IARD Assurances Mutuelles",
    "insurance_policy": "RCP 114 287 653",
    "prosecutor_declaration": "Déclaration écrite au procureur de la République près le tribunal judiciaire"
    " de Lyon, reçue le 4 février 2019 (art. R124-2 CPCE)",
}

# Holds on a debtor, as (kind, reason).
PERSON_HOLDS = (
    ("over_indebtedness", "Dossier de surendettement déclaré recevable par la commission Banque de France."),
    ("deceased", "Décès signalé par un proche ; acte de décès demandé, succession à identifier."),
    ("cease_communication", "Le débiteur demande par écrit que cessent les appels ; courrier uniquement."),
)
COMPANY_HOLDS = (
    ("insolvency", "Redressement judiciaire publié au BODACC ; créance à déclarer au mandataire judiciaire."),
    ("insolvency", "Liquidation judiciaire publiée au BODACC ; déclaration de créance au liquidateur."),
    ("cease_communication", "Le gérant exige que toute demande passe par son avocat."),
)

# What the collectors wrote down; internal notes, in French like the rest of the demo content.
CALL_NOTES = {
    "voicemail": ("Message neutre laissé, sans mention de la dette.",),
    "right_party": (
        "Débiteur joint : attend le versement de son salaire.",
        "Débiteur joint : demande la copie des factures, envoyée par courrier.",
        "Interlocuteur joint : trésorerie tendue, rappel convenu sous quinze jours.",
    ),
    "callback": ("Demande à être rappelé après 18 h.", "Rappel souhaité en début de semaine."),
    "refused": ("Refuse de payer, dit ne plus avoir de revenus.", "Conteste le montant sans justificatif."),
}
DISPUTES = (
    "Conteste la facture : relevé de compteur estimé jugé erroné.",
    "Affirme avoir résilié le contrat avant la période facturée.",
    "Marchandises livrées incomplètes selon le débiteur ; bon de livraison demandé au client.",
)
# (closing reason, note): the reasons are the platform's built-in ones (cases.closing).
CLOSINGS = (
    ("unfindable", "Débiteur introuvable : courrier revenu NPAI, numéro erroné. Retour au client."),
    ("recalled", "Dossier retiré par le client (accord commercial direct)."),
    ("below_minimum", "Solde trop faible au regard des démarches ; clôture en accord avec le client."),
)
PAYMENT_MEANS = (  # (method, what the bank statement says)
    ("transfer", "Virement reçu"),
    ("card", "Paiement par carte sur le portail"),
    ("cheque", "Chèque encaissé"),
    ("direct_debit", "Prélèvement"),
)
ESCALATION = (
    "Sans règlement après mise en demeure : voie judiciaire proposée au responsable et au client."
)
