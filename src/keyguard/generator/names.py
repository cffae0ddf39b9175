"""Fixed word lists of the generator: names, department templates, roles, project code
names, document words and filler text. Pure data; imports nothing from keyguard.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a text block."""
    return tuple(text.split())


FIRST_NAMES: tuple[str, ...] = _words(
    """
    Aaron Abigail Adam Adrian Aiko Alana Albert Alejandro Alice Amara Amelia Amir Ana
    Andre Angela Anika Anton Arjun Astrid Aurora Barbara Beatrice Benjamin Bianca Boris
    Brandon Bridget Bruno Caleb Camila Carl Carmen Caroline Cecilia Charles Chiara Chloe
    Christian Claire Colin Connor Dalia Daniel Daria David Deborah Declan Diana Diego
    Dmitri Dora Edgar Edith Eleanor Elena Elias Elif Elliot Emil Emma Enzo Erik Esther
    Eva Felix Fiona Florian Frances Gabriel Gemma George Gina Grace Gregor Hana Hannah
    Harold Hector Helen Henrik Hugo Ida Igor Ines Irene Isaac Ivan Jacob Jana Jasper
    Jean Joanna Jonas Joseph Julia Julian Kai Karen Karim Katja Keith Kenji Kira Lars
    Laura Leah Leon Leonie Liam Lina Lorenzo Lucia Lukas Maja Malik Marco Margaret Maria
    Marius Marta Martin Maya Mei Milan Mira Moritz Nadia Nathan Nico Nina Noah Nora Olga
    Oliver Omar Oscar Paula Pavel Peter Petra Philip Priya Rafael Rania Raymond Rebecca
    Rhea Robert Rosa Ruben Ruth Samuel Sara Sebastian Selma Simon Sofia Stefan Susan
    Sven Tamara Teresa Theo Thomas Tobias Ursula Valentin Vera Victor Viktoria Walter
    Wanda Xavier Yara Yusuf Zoe
    """
)

LAST_NAMES: tuple[str, ...] = _words(
    """
    Abbott Adler Alvarez Andersen Arnold Bailey Baker Barnes Bauer Becker Bennett Berg
    Bishop Blake Brandt Brooks Burke Byrne Caldwell Carter Castro Chambers Chen Clarke
    Coleman Collins Cooper Cruz Dahl Davies Dawson Dean Diaz Dixon Doyle Duncan Eaton
    Ellis Engel Erikson Evans Farrell Fischer Fleming Ford Foster Fox Franke Fuchs
    Garcia Gardner Gibson Graham Grant Gray Greene Hahn Hall Hansen Harper Hartmann
    Hayes Heller Hoffmann Holland Horn Howard Hughes Hunter Ito Jansen Jensen Johansson
    Jordan Kaiser Keller Kelly Kennedy Kim Klein Koch Kowalski Kramer Krause Lange
    Larsen Lawson Lehmann Lewis Lindberg Lopez Lorenz Marsh Martens Mason Meyer Mills
    Moreau Morgan Murphy Nakamura Neumann Nielsen Novak Olsen Ortiz Owens Palmer Park
    Parker Patel Perez Peters Pohl Porter Quinn Ramos Reed Reyes Richter Riley Rivera
    Roberts Romero Ross Russo Ryan Sanders Santos Sato Schmidt Schneider Schulz Scott
    Shaw Silva Simmons Sommer Stewart Stone Sullivan Suzuki Tanaka Taylor Thompson
    Torres Tucker Turner Vogel Wagner Walsh Ward Watson Weber Weiss West Wilson Winter
    Wolf Wood Young Zimmermann
    """
)


@dataclass(frozen=True)
class DeptTemplate:
    """A department that a generated unit may have."""

    key: str  # share folder name, e.g. "propulsion"
    name: str  # e.g. "Propulsion"
    functional_unit: str
    roles: tuple[str, ...]  # staff job titles, first is the most common
    weight: float  # relative head count
    classified: str  # "research", "admin", "light" or "none": which register items it owns
    teams: tuple[str, ...]  # team names (suffixes)


FUNCTIONAL_UNITS: tuple[str, ...] = (
    "Administration",
    "Information Technology",
    "Research and Engineering",
    "Manufacturing",
    "Sales and Marketing",
)

DEPARTMENTS: tuple[DeptTemplate, ...] = (
    DeptTemplate(
        "itops",
        "IT Operations",
        "Information Technology",
        ("ITAdmin", "NetworkEngineer", "ITAdmin", "DatabaseAdmin"),
        0.7,
        "none",
        ("Infrastructure", "Workplace Services", "Networks"),
    ),
    DeptTemplate(
        "security",
        "Security Office",
        "Administration",
        ("SecurityOfficer", "SecurityAnalyst"),
        0.35,
        "admin",
        ("Protective Security", "Vetting"),
    ),
    DeptTemplate(
        "avionics",
        "Avionics",
        "Research and Engineering",
        ("Engineer", "Scientist", "LabTechnician", "SoftwareEngineer"),
        1.6,
        "research",
        ("Flight Control", "Cockpit Systems", "Sensors", "Embedded Software"),
    ),
    DeptTemplate(
        "propulsion",
        "Propulsion",
        "Research and Engineering",
        ("Engineer", "Scientist", "LabTechnician", "TestEngineer"),
        1.4,
        "research",
        ("Combustion", "Turbines", "Propulsion Test", "Fuel Systems"),
    ),
    DeptTemplate(
        "hr",
        "Human Resources",
        "Administration",
        ("HRSpecialist", "Recruiter", "PayrollClerk"),
        0.45,
        "admin",
        ("People Services", "Recruiting"),
    ),
    DeptTemplate(
        "guidance",
        "Guidance Systems",
        "Research and Engineering",
        ("Engineer", "Scientist", "SoftwareEngineer", "Mathematician"),
        1.2,
        "research",
        ("Navigation", "Guidance Algorithms", "Inertial Systems"),
    ),
    DeptTemplate(
        "finance",
        "Finance",
        "Administration",
        ("Accountant", "FinancialAnalyst", "Controller"),
        0.5,
        "admin",
        ("Accounting", "Controlling"),
    ),
    DeptTemplate(
        "assembly",
        "Assembly",
        "Manufacturing",
        ("Technician", "ProductionPlanner", "Technician", "Machinist"),
        1.3,
        "light",
        ("Final Assembly", "Subassembly", "Tooling", "Production Planning"),
    ),
    DeptTemplate(
        "sales",
        "Sales",
        "Sales and Marketing",
        ("Salesman", "AccountManager", "BidManager"),
        0.9,
        "light",
        ("Defence Sales", "Civil Sales", "Bids"),
    ),
    DeptTemplate(
        "materials",
        "Materials Science",
        "Research and Engineering",
        ("Scientist", "LabTechnician", "Engineer"),
        0.9,
        "research",
        ("Composites", "Metallurgy", "Coatings"),
    ),
    DeptTemplate(
        "radar",
        "Radar Systems",
        "Research and Engineering",
        ("Engineer", "Scientist", "SoftwareEngineer"),
        1.0,
        "research",
        ("Antennas", "Signal Processing", "Radar Test"),
    ),
    DeptTemplate(
        "comsec",
        "Secure Communications",
        "Research and Engineering",
        ("Cryptographer", "Engineer", "SoftwareEngineer"),
        0.8,
        "research",
        ("Cryptography", "Datalinks", "Key Management"),
    ),
    DeptTemplate(
        "quality",
        "Quality Assurance",
        "Manufacturing",
        ("QualityInspector", "QualityEngineer"),
        0.6,
        "light",
        ("Inspection", "Certification"),
    ),
    DeptTemplate(
        "supply",
        "Supply Chain",
        "Manufacturing",
        ("Buyer", "LogisticsCoordinator"),
        0.6,
        "none",
        ("Purchasing", "Logistics"),
    ),
    DeptTemplate(
        "marketing",
        "Marketing",
        "Sales and Marketing",
        ("MarketingSpecialist", "Designer", "Writer"),
        0.5,
        "none",
        ("Communications", "Events"),
    ),
    DeptTemplate(
        "legal",
        "Legal",
        "Administration",
        ("Lawyer", "Paralegal"),
        0.3,
        "admin",
        ("Contracts", "Export Control"),
    ),
    DeptTemplate(
        "servicedesk",
        "IT Service Desk",
        "Information Technology",
        ("HelpDesk", "ITAdmin"),
        0.4,
        "none",
        ("First Line", "Second Line"),
    ),
    DeptTemplate(
        "testeval",
        "Test and Evaluation",
        "Research and Engineering",
        ("TestEngineer", "LabTechnician", "Engineer"),
        0.9,
        "research",
        ("Flight Test", "Environmental Test", "Test Data"),
    ),
    DeptTemplate(
        "support",
        "Customer Support",
        "Sales and Marketing",
        ("SupportAgent", "FieldEngineer"),
        0.6,
        "none",
        ("Field Service", "Technical Support"),
    ),
    DeptTemplate(
        "programmes",
        "Programme Office",
        "Research and Engineering",
        ("ProgrammeManager", "ProjectControl"),
        0.5,
        "light",
        ("Programme Management", "Project Control"),
    ),
)
"""All department templates, in the order they are added as the unit grows."""

CODENAMES: tuple[str, ...] = _words(
    """
    falcon osprey kestrel heron condor albatross harrier merlin peregrine raven swift
    kite gannet petrel tern buzzard sparrowhawk goshawk hobby shrike plover curlew ibis
    crane stork egret lynx puma ocelot caracal jaguar cheetah marten otter badger
    wolverine sable ermine bison orion vega sirius altair rigel deneb polaris castor
    pollux antares spica arcturus aldebaran capella mira electra atlas titan helios
    """
)

DOC_WORDS: tuple[str, ...] = _words(
    """
    design review specification test plan report results analysis budget schedule
    minutes proposal requirements interface drawing assembly procedure checklist summary
    briefing roadmap risk register model simulation calibration qualification trade
    study architecture concept baseline estimate forecast audit inventory contract
    invoice payroll policy handbook training agenda status update memo
    """
)

DOC_EXTENSIONS: tuple[str, ...] = ("docx", "xlsx", "pdf", "pptx", "docx", "pdf", "txt", "vsdx")

FILLER_WORDS: tuple[str, ...] = _words(
    """
    the project team will review results next week please find attached updated version
    of document for your comments meeting agreed actions follow up schedule budget
    figures draft final approved pending customer supplier delivery quality issue
    resolved open items timeline milestone test campaign data configuration release
    notes summary thanks regards hello all as discussed see below kind request lunch
    travel plans office building parking coffee weekend holiday report numbers
    """
)

SUBFOLDERS: tuple[str, ...] = (
    "design",
    "specs",
    "reviews",
    "test",
    "reports",
    "minutes",
    "planning",
    "data",
)

USB_FOLDERS: tuple[str, ...] = (
    "Docs",
    "Backup",
    "Photos",
    "Presentations",
    "Transfer",
    "Misc",
    "Data",
    "Drivers",
    "Tools",
    "Archive",
)
