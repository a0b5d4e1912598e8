"""Word lists for the demo organization: countries, organizations, names, personas, reasons.

Pure data. The generator draws from these with an explicit random generator; nothing here is
random or computed at import beyond building the tuples.
"""

from __future__ import annotations

from dataclasses import dataclass

from crewline.orgs.models import OrgKind
from crewline.people.models import Region, WorkerStatus

ENGLISH_LEVELS = ("B1", "B2", "C1", "C2")


Zone = tuple[str, float, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Country:
    """Where pool members live: names, zones, currency and languages that go with it.

    ``names`` is a Faker locale, or ``ph``/``my`` for the name lists below (Faker has no
    Filipino or Malaysian names); Vietnamese names are written family name first.
    ``zones`` are IANA zones with a weight and the cities in them. ``english`` weighs the
    English levels B1, B2, C1, C2. ``vendor`` is the staffing vendor that recruits there.
    """

    code: str
    region: Region
    names: str
    weight: float
    currency: str
    native: str
    zones: tuple[Zone, ...]
    extra_languages: tuple[str, ...]
    english: tuple[float, float, float, float]
    vendor: str | None = None


# fmt: off
_LATAM_EN = (0.25, 0.4, 0.28, 0.07)
_SEA_EN = (0.3, 0.4, 0.25, 0.05)
COUNTRIES: tuple[Country, ...] = (
    Country("PH", Region.SEA, "ph", 120, "PHP", "tl", (
        ("Asia/Manila", 1, ("Quezon City", "Cebu City", "Davao City", "Makati", "Iloilo City",
                            "Baguio")),
    ), ("es", "ja"), (0.05, 0.25, 0.45, 0.25), "bayanihan"),
    Country("ID", Region.SEA, "id_ID", 60, "IDR", "id", (
        ("Asia/Jakarta", 0.75, ("Jakarta", "Bandung", "Surabaya", "Yogyakarta", "Semarang")),
        ("Asia/Makassar", 0.2, ("Denpasar", "Makassar", "Balikpapan")),
        ("Asia/Jayapura", 0.05, ("Jayapura",)),
    ), ("jv", "ms", "nl"), _SEA_EN, "nusantara"),
    Country("VN", Region.SEA, "vi_VN", 45, "VND", "vi", (
        ("Asia/Ho_Chi_Minh", 1, ("Hanoi", "Ho Chi Minh City", "Da Nang", "Hue", "Can Tho")),
    ), ("fr", "ja", "ko"), _SEA_EN, "nusantara"),
    Country("TH", Region.SEA, "en_TH", 30, "THB", "th", (
        ("Asia/Bangkok", 1, ("Bangkok", "Chiang Mai", "Khon Kaen", "Phuket", "Hat Yai")),
    ), ("zh", "ja"), _SEA_EN, "bayanihan"),
    Country("MY", Region.SEA, "my", 35, "MYR", "ms", (
        ("Asia/Kuala_Lumpur", 0.85, ("Kuala Lumpur", "Penang", "Johor Bahru", "Ipoh")),
        ("Asia/Kuching", 0.15, ("Kuching", "Kota Kinabalu")),
    ), ("ar", "ja"), (0.1, 0.35, 0.4, 0.15), "bayanihan"),
    Country("BR", Region.LATAM, "pt_BR", 80, "BRL", "pt", (
        ("America/Sao_Paulo", 0.6, ("São Paulo", "Rio de Janeiro", "Belo Horizonte",
                                    "Curitiba", "Porto Alegre")),
        ("America/Recife", 0.15, ("Recife", "João Pessoa")),
        ("America/Fortaleza", 0.1, ("Fortaleza", "São Luís")),
        ("America/Bahia", 0.1, ("Salvador",)),
        ("America/Manaus", 0.05, ("Manaus",)),
    ), ("es", "it", "fr"), _LATAM_EN, "andes"),
    Country("MX", Region.LATAM, "es_MX", 55, "MXN", "es", (
        ("America/Mexico_City", 0.7, ("Mexico City", "Guadalajara", "Puebla", "Querétaro")),
        ("America/Monterrey", 0.15, ("Monterrey", "Saltillo")),
        ("America/Tijuana", 0.1, ("Tijuana", "Mexicali")),
        ("America/Merida", 0.05, ("Mérida",)),
    ), ("fr", "pt", "de"), _LATAM_EN, "andes"),
    Country("CO", Region.LATAM, "es_CO", 40, "COP", "es", (
        ("America/Bogota", 1, ("Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga")),
    ), ("pt", "fr"), _LATAM_EN, "andes"),
    Country("AR", Region.LATAM, "es_AR", 30, "ARS", "es", (
        ("America/Argentina/Buenos_Aires", 0.8, ("Buenos Aires", "Rosario", "La Plata")),
        ("America/Argentina/Cordoba", 0.2, ("Córdoba", "Santa Fe")),
    ), ("it", "pt", "de"), (0.15, 0.4, 0.33, 0.12), "andes"),
    Country("ES", Region.EU, "es_ES", 30, "EUR", "es", (
        ("Europe/Madrid", 0.9, ("Madrid", "Barcelona", "Valencia", "Seville", "Bilbao")),
        ("Atlantic/Canary", 0.1, ("Las Palmas", "Santa Cruz de Tenerife")),
    ), ("ca", "fr", "de"), (0.2, 0.4, 0.3, 0.1), "vistula"),
    Country("DE", Region.EU, "de_DE", 25, "EUR", "de", (
        ("Europe/Berlin", 1, ("Berlin", "Munich", "Hamburg", "Cologne", "Leipzig")),
    ), ("fr", "es", "tr"), (0.1, 0.35, 0.4, 0.15), "vistula"),
    Country("FR", Region.EU, "fr_FR", 20, "EUR", "fr", (
        ("Europe/Paris", 1, ("Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes")),
    ), ("es", "de", "ar"), (0.2, 0.4, 0.3, 0.1), "vistula"),
    Country("PL", Region.EU, "pl_PL", 30, "PLN", "pl", (
        ("Europe/Warsaw", 1, ("Warsaw", "Kraków", "Wrocław", "Gdańsk", "Poznań", "Łódź")),
    ), ("de", "ru", "uk"), (0.1, 0.35, 0.4, 0.15), "vistula"),
    Country("IT", Region.EU, "it_IT", 15, "EUR", "it", (
        ("Europe/Rome", 1, ("Rome", "Milan", "Naples", "Turin", "Bologna", "Florence")),
    ), ("fr", "es", "de"), (0.25, 0.4, 0.27, 0.08), "vistula"),
    Country("PT", Region.EU, "pt_PT", 15, "EUR", "pt", (
        ("Europe/Lisbon", 0.9, ("Lisbon", "Porto", "Braga", "Coimbra", "Faro")),
        ("Atlantic/Azores", 0.1, ("Ponta Delgada",)),
    ), ("es", "fr"), (0.1, 0.35, 0.4, 0.15), "vistula"),
    Country("NL", Region.EU, "nl_NL", 10, "EUR", "nl", (
        ("Europe/Amsterdam", 1, ("Amsterdam", "Rotterdam", "Utrecht", "The Hague")),
    ), ("de", "fr"), (0.02, 0.18, 0.5, 0.3), "vistula"),
    Country("US", Region.US, "en_US", 60, "USD", "en", (
        ("America/New_York", 0.4, ("New York", "Atlanta", "Boston", "Miami")),
        ("America/Chicago", 0.25, ("Chicago", "Austin", "Houston", "Minneapolis")),
        ("America/Denver", 0.08, ("Denver", "Salt Lake City")),
        ("America/Phoenix", 0.05, ("Phoenix", "Tucson")),
        ("America/Los_Angeles", 0.22, ("Seattle", "Los Angeles", "Portland", "San Diego")),
    ), ("es", "fr", "zh"), (0, 0, 0, 1)),
    Country("KE", Region.OTHER, "en_KE", 12, "KES", "sw", (
        ("Africa/Nairobi", 1, ("Nairobi", "Mombasa", "Kisumu", "Nakuru")),
    ), ("fr",), (0, 0.15, 0.5, 0.35)),
    Country("IN", Region.OTHER, "en_IN", 10, "INR", "hi", (
        ("Asia/Kolkata", 1, ("Bengaluru", "Hyderabad", "Pune", "Chennai", "Delhi")),
    ), ("ta", "te", "mr"), (0, 0.2, 0.5, 0.3)),
)

#: How people are engaged, per region: weights for employee, contractor, EOR, vendor-supplied.
CLASSIFICATION_WEIGHTS: dict[Region, tuple[float, float, float, float]] = {
    Region.SEA: (0.05, 0.4, 0.2, 0.35),
    Region.LATAM: (0.05, 0.45, 0.25, 0.25),
    Region.EU: (0.3, 0.25, 0.3, 0.15),
    Region.US: (0.55, 0.45, 0.0, 0.0),
    Region.OTHER: (0.0, 0.6, 0.4, 0.0),
}


@dataclass(frozen=True, slots=True)
class OrgSpec:
    """A fictional client (AI lab) or staffing vendor."""

    key: str
    kind: OrgKind
    name: str
    country: str
    currency: str
    contact_email: str


ORGS: tuple[OrgSpec, ...] = (
    OrgSpec("meridian", OrgKind.client, "Meridian Frontier AI", "US", "USD",
            "data-ops@meridian.example.com"),
    OrgSpec("lumen", OrgKind.client, "Lumen Foundation Labs", "US", "USD",
            "human-data@lumen.example.com"),
    OrgSpec("kestrel", OrgKind.client, "Kestrel Research", "GB", "GBP",
            "evals@kestrel.example.com"),
    OrgSpec("halcyon", OrgKind.client, "Halcyon Machine Intelligence", "FR", "EUR",
            "annotation@halcyon.example.com"),
    OrgSpec("bayanihan", OrgKind.vendor, "Bayanihan Data Services", "PH", "PHP",
            "accounts@bayanihan.example.com"),
    OrgSpec("nusantara", OrgKind.vendor, "Nusantara Annotation Partners", "ID", "IDR",
            "ops@nusantara.example.com"),
    OrgSpec("andes", OrgKind.vendor, "Andes Crowd Solutions", "CO", "COP",
            "contacto@andes.example.com"),
    OrgSpec("vistula", OrgKind.vendor, "Vistula Language Works", "PL", "PLN",
            "biuro@vistula.example.com"),
)

# Names Faker lacks. Filipino names mix Spanish surnames with English and Spanish given names;
# Malaysian names follow Malay, Chinese and Indian conventions.
PH_GIVEN_MALE = (
    "Jose", "Juan Carlo", "Mark Anthony", "John Paul", "Jerome", "Rodel", "Renato", "Jericho",
    "Christian", "Paolo", "Miguel", "Rafael", "Ramon", "Arnel", "Jayson", "Kenneth", "Rommel",
    "Noel", "Carlo", "Angelo", "Joshua", "Francis", "Emmanuel", "Dominic", "Vincent",
)
PH_GIVEN_FEMALE = (
    "Maria Cristina", "Kristine", "Angelica", "Rowena", "Marites", "Princess", "Jennifer",
    "Mary Grace", "Lorna", "Maricel", "Joanna", "Katrina", "Andrea", "Camille", "Bea",
    "Patricia", "Rhea", "Divina", "Liza", "Shiela", "Jasmine", "Czarina", "Trisha", "Rosario",
)
PH_SURNAMES = (
    "Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres", "Tomas",
    "Andrada", "Castillo", "Flores", "Villanueva", "Ramos", "Castro", "Rivera", "Aquino",
    "Navarro", "Salazar", "Mercado", "dela Cruz", "de Guzman", "Manalo", "Pascual", "Dizon",
    "Gonzales", "Aguilar", "Soriano", "Valdez", "Domingo", "Panganiban", "Dimaculangan",
    "Magbanua", "Macaraeg", "Lim", "Tan", "Sy", "Evangelista", "Lacson", "Javier", "Samonte",
)
MY_MALAY_MALE = ("Muhammad Hafiz", "Ahmad Faiz", "Mohd Azlan", "Amirul", "Hakim", "Firdaus",
                 "Syafiq", "Zulkifli", "Iskandar", "Harith")
MY_MALAY_FEMALE = ("Nur Aisyah", "Siti Nurhaliza", "Nurul Izzah", "Farah", "Aina", "Syazwani",
                   "Nur Amira", "Aqilah", "Hidayah", "Balqis")
MY_MALAY_FATHERS = ("Ismail", "Abdullah", "Rahman", "Hassan", "Ibrahim", "Yusof", "Osman",
                    "Aziz", "Hamid", "Salleh", "Kamaruddin", "Zainal")
MY_CHINESE_SURNAMES = ("Tan", "Lim", "Lee", "Wong", "Ng", "Ong", "Chong", "Teh", "Goh", "Yap",
                       "Chan", "Khoo")
MY_CHINESE_GIVEN = ("Wei Ming", "Mei Ling", "Jia Hui", "Kah Wai", "Zhi Hao", "Xin Yi", "Jun Jie",
                    "Hui Min", "Yong Sheng", "Pei Shan", "Kok Leong", "Li Ying")
MY_INDIAN_GIVEN = ("Priya", "Arjun", "Kavitha", "Ravi", "Deepa", "Suresh", "Thilaga", "Vikneswaran",
                   "Shalini", "Prakash")
MY_INDIAN_FAMILY = ("Subramaniam", "Raj", "Krishnan", "Muthu", "Pillai", "Nair", "Ramasamy",
                    "Gopal", "Selvaraj", "Arumugam")
VI_MIDDLE_MALE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Công", "Gia")
VI_MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Phương", "Hồng")

#: Skills anyone might pick up on top of their specialty.
GENERAL_SKILLS = (
    "sentiment", "intent-classification", "search-relevance", "bounding-boxes", "transcription",
    "content-moderation", "rlhf-preference", "label-studio", "excel", "data-entry",
)


@dataclass(frozen=True, slots=True)
class Persona:
    """A kind of contributor, from which varied profiles, skills and tiers are drawn.

    ``fields`` pairs a specialty with the skill tags it implies; ``tier_shift`` moves tiers up
    for scarce experts; ``min_english`` is the English a persona's work needs; ``translator``
    personas always have a second foreign language.
    """

    key: str
    weight: float
    titles: tuple[str, ...]
    fields: tuple[tuple[str, tuple[str, ...]], ...]
    details: tuple[str, ...]
    work: tuple[str, ...]
    skills: tuple[str, ...]
    extra_skills: tuple[str, ...]
    tier_shift: int = 0
    min_english: str = "B1"
    translator: bool = False


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "image", 10, ("image annotator", "computer vision labeler", "data labeling specialist"),
        (("autonomous driving datasets", ("autonomous-driving",)),
         ("retail shelf imagery", ("retail",)), ("drone and satellite imagery", ("geospatial",)),
         ("agricultural crop images", ("agriculture",)),
         ("warehouse robotics footage", ("robotics",))),
        ("Moved into data labeling after three years on a BPO customer service floor.",
         "Holds a diploma in information technology.",
         "Fast and consistent with keyboard shortcuts, with very little rework on audits.",
         "Studied graphic design and has a sharp eye for object boundaries."),
        ("Draws bounding boxes and polygon masks in CVAT and Labelbox against long class "
         "taxonomies.",
         "Has labeled pedestrians, cyclists and traffic signs frame by frame, including occlusion "
         "and truncation flags.",
         "Tracks objects across video frames and fixes interpolation drift.",
         "Annotates body keypoints for human pose estimation."),
        ("bounding-boxes", "image-annotation"),
        ("polygon-segmentation", "keypoints", "video-tracking", "cvat", "labelbox", "superannotate",
         "lidar-3d"),
    ),
    Persona(
        "transcription", 8, ("transcriptionist", "audio transcriber", "speech data annotator"),
        (("call-center recordings", ("call-center",)),
         ("podcast and interview audio", ("podcasts",)),
         ("medical dictation", ("medical",)), ("courtroom audio", ("legal",)),
         ("children's speech recordings", ("child-speech",))),
        ("Produced subtitles for streaming platforms at a captioning company.",
         "Types over 80 words per minute at verbatim accuracy.",
         "Comfortable with heavy accents, code-switching and noisy recordings."),
        ("Produces verbatim and clean-verbatim transcripts with timestamps and speaker labels.",
         "Segments audio and marks non-speech events, overlaps and disfluencies in ELAN and Praat.",
         "Corrects speech recognition output word by word against the audio."),
        ("transcription", "audio"),
        ("speaker-diarization", "elan", "praat", "subtitling", "asr-evaluation"),
        min_english="B2",
    ),
    Persona(
        "moderation", 7, ("content moderator", "trust and safety analyst", "policy reviewer"),
        (("social media platforms", ("social-media",)), ("online marketplaces", ("e-commerce",)),
         ("gaming communities", ("gaming",)), ("short-video apps", ("video-review",))),
        ("Spent several years on the trust and safety team of a large social network.",
         "Knows escalation workflows for self-harm, hate speech and violent extremism.",
         "Trained in wellness practices for long exposure to sensitive content."),
        ("Labels text, images and video against detailed harm taxonomies.",
         "Writes adversarial prompts to probe chatbot safety policies and rates the refusals.",
         "Reviews ad creatives for policy violations and scam patterns."),
        ("content-moderation",),
        ("red-teaming", "safety-policy", "image-annotation", "video-review", "fraud-detection"),
    ),
    Persona(
        "rlhf", 10, ("RLHF rater", "AI response evaluator", "writer and editor"),
        (("conversational AI", ("chatbots",)), ("customer support", ("customer-support",)),
         ("journalism", ("journalism",)), ("technical writing", ("technical-writing",)),
         ("education", ("education",))),
        ("Former English teacher with an ear for clarity and tone.",
         "Background in journalism and fact-checking.",
         "Led a customer support team handling escalations in English.",
         "Holds a degree in communications."),
        ("Compares pairs of chatbot answers for helpfulness, honesty and harmlessness and writes "
         "clear justifications.",
         "Writes supervised fine-tuning demonstrations: ideal answers to open-ended prompts.",
         "Fact-checks model responses against sources and flags hallucinations.",
         "Rates instruction following and rewrites weak responses."),
        ("rlhf-preference",),
        ("sft-writing", "fact-checking", "copy-editing", "creative-writing", "red-teaming"),
        min_english="B2",
    ),
    Persona(
        "python", 7,
        ("software engineer", "Python developer", "backend developer", "data engineer"),
        (("web backends with Django and FastAPI", ("django", "fastapi")),
         ("data pipelines with pandas and Airflow", ("pandas", "airflow")),
         ("fintech APIs", ("fintech",)), ("machine learning tooling", ("machine-learning",)),
         ("open-source Python libraries", ("open-source",))),
        ("Has shipped production services in Python and PostgreSQL.",
         "Contributes to open-source projects on GitHub.",
         "Computer science degree; did competitive programming at university."),
        ("Reviews model-written code for correctness, runs it, and writes unit tests that expose "
         "the bugs.",
         "Ranks coding assistant answers and explains which solution is idiomatic and why.",
         "Writes step-by-step programming solutions for fine-tuning datasets."),
        ("python", "code-review", "rlhf-preference"),
        ("sql", "javascript", "git", "docker", "unit-testing", "typescript"),
        tier_shift=1, min_english="B2",
    ),
    Persona(
        "developer", 4, ("full-stack developer", "mobile developer", "systems programmer"),
        (("React and TypeScript front ends", ("javascript", "typescript", "react")),
         ("Android apps in Kotlin", ("kotlin", "android")),
         ("embedded C and C++ firmware", ("c++", "embedded")),
         ("Java enterprise systems", ("java",)), ("Go microservices", ("go",))),
        ("Startup veteran: wrote features, fixed production incidents and reviewed pull requests.",
         "Self-taught programmer who later finished a software engineering degree.",
         "Maintains a small open-source library in their spare time."),
        ("Grades coding assistant answers on correctness, security and readability.",
         "Writes failing test cases for model-generated code and explains the fix.",
         "Annotates code review comments by severity for a code-model training set."),
        ("code-review",),
        ("sql", "git", "docker", "rlhf-preference", "python"),
        tier_shift=1, min_english="B2",
    ),
    Persona(
        "math", 5, ("mathematics teacher", "math tutor", "mathematician", "actuarial analyst"),
        (("secondary-school algebra and calculus", ("calculus",)),
         ("olympiad problem solving", ("olympiad",)),
         ("probability and statistics", ("statistics",)),
         ("linear algebra and optimization", ("linear-algebra",)),
         ("number theory", ("number-theory",))),
        ("Holds a master's degree in applied mathematics.",
         "Coached students for national mathematics olympiads.",
         "Writes clean LaTeX and careful proofs."),
        ("Solves and verifies multi-step math problems, pinpointing the exact step where a "
         "model's reasoning goes wrong.",
         "Writes graded solutions with full derivations for reasoning datasets.",
         "Rates chain-of-thought answers for rigor and completeness."),
        ("math", "latex"),
        ("python", "physics", "tutoring", "rlhf-preference"),
        tier_shift=1, min_english="B2",
    ),
    Persona(
        "nurse", 5, ("registered nurse", "radiology nurse", "ICU nurse", "clinical nurse educator"),
        (("radiology and imaging", ("radiology",)), ("intensive care", ("critical-care",)),
         ("oncology", ("oncology",)), ("emergency medicine", ("emergency-medicine",)),
         ("pediatrics", ("pediatrics",))),
        ("Licensed nurse with hospital experience in triage and medication administration.",
         "Knows clinical documentation, care plans and discharge summaries inside out.",
         "Worked night shifts in a busy public hospital before moving to remote work."),
        ("Reviews medical chatbot answers for clinical accuracy and unsafe advice.",
         "Annotates clinical notes for symptoms, medications and dosages (medical NER).",
         "Labels chest X-ray and CT findings under radiologist supervision."),
        ("medical", "nursing"),
        ("ner", "medical-coding", "pharmacology", "clinical-notes"),
        tier_shift=1,
    ),
    Persona(
        "physician", 2, ("physician", "general practitioner", "radiologist", "medical resident"),
        (("internal medicine", ("internal-medicine",)), ("diagnostic radiology", ("radiology",)),
         ("family medicine", ("primary-care",)), ("cardiology", ("cardiology",))),
        ("Medical degree with hospital residency and board certification.",
         "Has published case reports and reviews clinical guidelines for a hospital network.",
         "Teaches clinical reasoning to medical students part time."),
        ("Writes expert answers to clinical questions and grades model responses against current "
         "guidelines.",
         "Designs hard diagnostic vignettes that expose gaps in medical models.",
         "Adjudicates disagreements between nurse annotators on medical labels."),
        ("medical", "clinical-reasoning"),
        ("pharmacology", "medical-coding", "research", "rlhf-preference"),
        tier_shift=2, min_english="B2",
    ),
    Persona(
        "coder", 3,
        ("medical coder", "health information technician", "medical billing specialist"),
        (("ICD-10 and CPT coding", ("icd-10",)), ("hospital revenue cycle", ("revenue-cycle",)),
         ("insurance claims review", ("insurance",))),
        ("Certified professional coder with years in a hospital billing department.",
         "Audits claims for coding errors and denials.",
         "Trained as a medical technologist before moving into coding."),
        ("Assigns diagnosis and procedure codes to clinical notes for model training.",
         "Extracts diagnoses and procedures from discharge summaries as structured labels."),
        ("medical-coding", "medical"),
        ("ner", "excel", "data-entry", "clinical-notes"),
    ),
    Persona(
        "legal", 4, ("paralegal", "lawyer", "legal analyst", "contract manager"),
        (("commercial contracts", ("contracts",)), ("immigration law", ("immigration-law",)),
         ("intellectual property", ("intellectual-property",)),
         ("labor and employment law", ("employment-law",)),
         ("data protection and GDPR", ("gdpr",))),
        ("Law degree and several years at a mid-sized firm.",
         "Drafted and negotiated supplier agreements in-house.",
         "Handled document review for large litigation matters."),
        ("Labels contract clauses (indemnity, termination, governing law) for clause extraction "
         "models.",
         "Evaluates legal research answers for accuracy and jurisdictional mistakes.",
         "Redacts personal data in court documents before they enter training sets."),
        ("legal", "contract-review"),
        ("ner", "legal-research", "document-review", "rlhf-preference"),
        tier_shift=1, min_english="B2",
    ),
    Persona(
        "legal_translator", 2, ("legal translator", "sworn translator"),
        (("contracts and court filings", ("contracts",)),
         ("immigration and civil documents", ("immigration-law",)),
         ("corporate and financial filings", ("finance",))),
        ("Certified sworn translator registered with the national courts.",
         "Law graduate who switched to translation.",
         "Keeps bilingual legal glossaries for each client."),
        ("Reviews machine translations of legal texts for terminology and meaning errors.",
         "Post-edits contract translations and scores them against MQM error categories."),
        ("legal", "translation", "translation-review"),
        ("terminology", "document-review", "localization"),
        tier_shift=1, min_english="C1", translator=True,
    ),
    Persona(
        "translator", 5, ("translator", "localization specialist", "linguist"),
        (("software localization", ("software-localization",)), ("marketing copy", ("marketing",)),
         ("film and TV subtitles", ("subtitling",)), ("e-learning content", ("education",)),
         ("game localization", ("gaming",))),
        ("Translation degree and a decade of freelance work.",
         "Works in memoQ and Trados with client term bases.",
         "Lived abroad for several years and switches between languages daily."),
        ("Reviews machine translation output, scoring adequacy and fluency (MQM) and post-editing "
         "the errors.",
         "Checks terminology consistency against glossaries and style guides.",
         "Rates multilingual chatbot answers for naturalness and cultural fit."),
        ("translation-review", "localization"),
        ("translation", "copy-editing", "linguistics", "rlhf-preference"),
        min_english="C1", translator=True,
    ),
    Persona(
        "linguist", 5, ("computational linguist", "text annotator", "linguistics graduate"),
        (("named entity recognition", ("ner",)), ("part-of-speech tagging", ("pos-tagging",)),
         ("intent classification for voice assistants", ("intent-classification",)),
         ("sentiment and emotion analysis", ("sentiment",))),
        ("Studied linguistics with a focus on syntax and morphology.",
         "Wrote annotation guidelines for a university corpus project.",
         "Comfortable with regular expressions and a little Python."),
        ("Tags people, organizations, places and products in news and social text with Prodigy "
         "and doccano.",
         "Labels sentiment and emotion in product reviews and posts, including sarcasm.",
         "Annotates user utterances with intents and slots for voice assistants."),
        ("ner", "sentiment"),
        ("intent-classification", "linguistics", "prodigy", "doccano", "text-classification"),
        min_english="B2",
    ),
    Persona(
        "finance", 4, ("accountant", "financial analyst", "tax consultant", "auditor"),
        (("corporate accounting", ("accounting",)), ("equity research", ("equity-research",)),
         ("personal income tax", ("tax",)), ("anti-money-laundering compliance", ("aml",)),
         ("retail banking operations", ("banking",))),
        ("Chartered accountant with audit experience at a regional firm.",
         "CFA level II candidate with a background in corporate finance.",
         "Prepared tax returns for small businesses for several seasons."),
        ("Evaluates model answers to accounting and finance questions, checking every "
         "calculation step by step.",
         "Extracts fields from invoices, bank statements and annual reports for document AI.",
         "Writes expert answers on IFRS and GAAP treatment of tricky transactions."),
        ("finance",),
        ("excel", "ocr-review", "financial-modeling", "rlhf-preference"),
        tier_shift=1, min_english="B2",
    ),
    Persona(
        "science", 3,
        ("analytical chemist", "molecular biologist", "research scientist", "physicist"),
        (("organic chemistry", ("chemistry",)),
         ("pharmaceutical quality control", ("chemistry", "pharmacology")),
         ("genomics and sequencing", ("biology", "genomics")),
         ("materials science", ("chemistry", "physics")), ("quantum physics", ("physics",))),
        ("PhD with peer-reviewed publications.",
         "Ran HPLC and mass spectrometry in a pharmaceutical lab.",
         "Teaching assistant for undergraduate laboratory courses."),
        ("Writes and verifies graduate-level science questions with worked answers.",
         "Reviews model explanations of reaction mechanisms and lab protocols for errors and "
         "safety issues.",
         "Checks cited papers and numbers in model-written literature summaries."),
        ("science",),
        ("latex", "research", "python", "rlhf-preference", "statistics"),
        tier_shift=2, min_english="B2",
    ),
    Persona(
        "search", 5,
        ("search quality rater", "ads quality evaluator", "e-commerce relevance rater"),
        (("web search", ("web-search",)), ("local search and maps", ("local-knowledge",)),
         ("e-commerce product search", ("e-commerce",)), ("news recommendations", ("news",))),
        ("Several years rating search results for major search engines.",
         "Knows local businesses, slang and current events in their market.",
         "Former retail merchandiser who knows product catalogs well."),
        ("Rates how well search results match user intent under long rater guidelines.",
         "Judges page quality and flags spam, outdated and misleading results.",
         "Compares ranked product lists side by side for shopping relevance."),
        ("search-relevance",),
        ("ads-quality", "sentiment", "data-entry"),
    ),
    Persona(
        "documents", 3, ("document processing specialist", "data entry specialist"),
        (("receipts and invoices", ("invoices",)), ("handwritten forms", ("handwriting",)),
         ("identity documents", ("kyc",)), ("historical archives", ("archives",))),
        ("Worked in a back office processing insurance claims.",
         "Accurate typist with a background in records management."),
        ("Corrects OCR output and boxes key-value fields in scanned documents.",
         "Transcribes handwriting and checks table structure in scanned pages."),
        ("ocr-review", "document-annotation"),
        ("data-entry", "bounding-boxes", "excel"),
    ),
    Persona(
        "voice", 3, ("voice talent", "speech data collector", "audio engineer"),
        (("text-to-speech voice recordings", ("tts",)),
         ("wake-word data collection", ("speech-recording",)),
         ("music tagging", ("music",)), ("sound event labeling", ("audio-tagging",))),
        ("Records from a treated home studio with a professional microphone.",
         "Radio presenter with a trained, consistent voice.",
         "Studied sound engineering and mixes podcasts on the side."),
        ("Records scripted prompts with consistent pacing and emotion.",
         "Rates synthetic speech for naturalness and pronunciation (MOS tests).",
         "Labels sound events and music genres in short clips."),
        ("audio",),
        ("tts-evaluation", "audio-tagging", "speech-recording", "transcription"),
    ),
    Persona(
        "qa", 3, ("annotation QA lead", "quality reviewer", "annotation team lead"),
        (("image annotation programs", ("bounding-boxes",)),
         ("text annotation programs", ("ner",)), ("RLHF programs", ("rlhf-preference",))),
        ("Led a team of twenty annotators for two years.",
         "Started as an annotator and was promoted after consistently top audit scores.",
         "Trains new cohorts on guidelines and edge cases."),
        ("Audits samples of other annotators' work, writes feedback and calibrates guidelines.",
         "Maintains gold sets and tracks inter-annotator agreement per batch.",
         "Writes guideline clarifications from recurring disagreements."),
        ("quality-review", "guideline-writing"),
        ("team-lead", "training", "excel"),
        tier_shift=2, min_english="B2",
    ),
)
# fmt: on

OPENINGS = (
    "{Title} with {years} of experience in {field}.",
    "{Title} based in {city}; {years} working in {field}.",
    "Based in {city}. {Title} specialising in {field} for the past {years}.",
    "Has spent {years} as {a_title} focused on {field}; currently in {city}.",
    "{Title} from {city}, {years} in {field} so far.",
)
CLOSINGS = (
    "Prefers asynchronous work and clear written guidelines.",
    "Happy to work split shifts that overlap with client teams in other time zones.",
    "Interested in moving into reviewer and QA roles.",
    "Works from a quiet home office with a reliable fibre connection.",
    "Enjoys long, detailed guidelines and hunting down edge cases.",
    "Looking for steady part-time hours alongside university studies.",
    "Completed training on annotation guidelines and data privacy.",
    "Available for weekend surges on short notice.",
)

PAUSE_REASONS = (
    "Quality score below threshold on the last two audits; retraining scheduled.",
    "Requested a break for university exams.",
    "Paused pending identity re-verification.",
    "On parental leave until next quarter.",
    "Unusually fast submissions flagged for review.",
    "Weekly hours limit reached; paused until the working-time review.",
)
OFFBOARD_REASONS = (
    "Contract ended with the close of the project.",
    "Left for a full-time position elsewhere.",
    "Repeated guideline violations after two written warnings.",
    "Relocated to a country where we do not engage contributors.",
    "Did not sign the updated contractor agreement.",
)
INACTIVE_REASONS = (
    "No task activity in the last 60 days.",
    "Did not answer the quarterly availability check-in.",
)
STATUS_REASONS: dict[WorkerStatus, tuple[str, ...]] = {
    WorkerStatus.paused: PAUSE_REASONS,
    WorkerStatus.inactive: INACTIVE_REASONS,
    WorkerStatus.offboarded: OFFBOARD_REASONS,
}
