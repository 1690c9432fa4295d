"""What each generated character says: phrase banks the dialogue generator draws from.

The text deliberately mixes straight and typographic quotes, as real Convai exports do.
"""

# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """Things a player may say about one subject, and the character's possible answers."""

    prompts: tuple[str, ...]
    replies: tuple[str, ...]


@dataclass(frozen=True)
class Persona:
    openers: tuple[str, ...]  # the character speaks first, unprompted
    topics: tuple[Topic, ...]
    events: tuple[Topic, ...]  # game events (sent as "[An Event has occurred]: ...") and reactions
    triggers: tuple[Topic, ...]  # narrative-design trigger names or descriptions and reactions
    monologues: tuple[str, ...]  # long answers, some over several lines
    deflections: tuple[str, ...]  # answers to nonsense, trolling and languages it doesn't speak
    narration: tuple[str, ...]  # lines of a third speaker (narrator or system)
    farewells: Topic
    native_lines: tuple[str, ...] = ()  # lines in the character's other language
    native_rate: float = 0.0  # how often an answer comes in that language


BLACKSMITH = Persona(
    openers=(
        "Oi! Mind the sparks, traveller. Looking for steel?",
        "Another customer? Good. The forge doesn’t feed itself.",
        "Ah, you’re back. Did that blade hold up?",
        "Hammer’s hot, coals are glowing. What do you need?",
    ),
    topics=(
        Topic(
            ("Who are you?", "What's your name?", "Are you the blacksmith?", "hello"),
            (
                "Torvald Emberhand, smith of Kettlebrook. Forty years at this anvil.",
                "Name’s Torvald. If it’s made of iron and it’s broken, I’m your man.",
                "I’m the smith. The only one for three valleys, so be polite.",
            ),
        ),
        Topic(
            ("Can I buy a sword?", "I need a weapon", "do you sell swords", "Show me your blades"),
            (
                "I’ve a longsword fresh off the anvil. Forty gold and it’s yours.",
                "Swords I have. Short, long, and one that’s far too heavy for you.",
                "Steel’s good this season. Pick one, but don’t swing it in my shop.",
            ),
        ),
        Topic(
            ("How much for everything?", "What are your prices?", "What do you sell?"),
            (
                "Here’s what I’ve got:\n- Iron sword: 40 gold\n- Steel shield: 65 gold\n"
                "- Horseshoes (set of four): 8 gold\n\nRepairs are extra. Haggling is extra-extra.",
                "Prices are on the board:\nDaggers — 15\nAxes — 30\nMail shirt — 120\n"
                "Don’t ask for a discount.",
            ),
        ),
        Topic(
            ("Can you fix my armor?", "my shield is broken", "Repair this please"),
            (
                "Let me see it. Hm. Whoever made this should be ashamed. Come back tomorrow.",
                "That dent took a troll’s club, I’d wager. Ten gold and it’ll be like new.",
                "I can patch it, but it’ll never be what it was. Like my knees.",
            ),
        ),
        Topic(
            ("Any work for me?", "Do you have a quest?", "I need a job", "what should I do"),
            (
                "Bring me star-iron from the Hollow Mine and I’ll forge you something special.",
                "My apprentice Pip went to fetch coal two days ago. Find him, would you?",
                "The bandits on the north road stole my ore cart. I’d pay well to get it back.",
            ),
        ),
        Topic(
            ("Lower the price", "That's too expensive", "Can I get a discount?", "30 gold?"),
            (
                "Thirty? For Emberhand steel? Ha! Thirty-eight, and that’s robbery.",
                "Fine. Thirty-five, because you remind me of my nephew. He was also cheap.",
                "No. The price is the price.",
            ),
        ),
        Topic(
            ("What's new in town?", "Heard any rumors?", "What's going on around here?"),
            (
                "They say the mayor’s buying silver. Nobody buys silver unless they fear wolves.",
                "Mags at the Crooked Lantern says there’s a stranger asking about dragons.",
                "Nothing new. Same mud, same taxes, same idiots asking me for discounts.",
            ),
        ),
        Topic(
            ("How do you make a sword?", "Teach me smithing", "how does forging work"),
            (
                "Heat, hammer, patience. Mostly patience. Mostly hammer, really.",
                "Fold the steel, quench it in oil, never in water. Water makes it brittle.",
            ),
        ),
        Topic(
            ("Is it hot in here?", "how do you stand the heat"),
            ("Hot? This is a forge, not a bathhouse.", "You get used to it. Or you melt."),
        ),
    ),
    events=(
        Topic(
            ("The player picks up the iron hammer.", "You drop a sword on the floor."),
            ("Careful with that! It’s worth more than your boots.", "Put that down. Gently."),
        ),
        Topic(
            ("The forge fire flares up.", "A cart full of coal arrives outside."),
            ("Ha! She’s hungry today.", "About time. Help me unload, would you?"),
        ),
    ),
    triggers=(
        Topic(
            ("QuestStart_StarIron", "Player accepts the Star-Iron quest"),
            ("Good. The Hollow Mine is east, past the old mill. Bring a lantern.",),
        ),
        Topic(
            ("QuestComplete_StarIron", "Player returns with the star-iron ore"),
            ("By my beard, that’s real star-iron! Give me a night and you’ll have a blade.",),
        ),
    ),
    monologues=(
        "My father was a smith, and his mother before him. She forged the gate of Kettlebrook "
        "when the orcs came down from the hills, forty winters before I was born. They say she "
        "worked three days without sleep, and when the gate was hung she sat down on the anvil "
        "and slept through the whole siege. The gate held. The orcs went home. Every smith in "
        "this family has sworn to keep that gate standing, and I’ve rebuilt its hinges twice. "
        "So when you ask me why my prices are high: you’re not paying for iron, you’re paying "
        "for three generations of knowing how iron wants to be treated.",
        "Right. Listen carefully, because I only explain this once.\n\n"
        "First, the Hollow Mine. Take the east road past the mill.\n"
        "Second, the star-iron glows blue in the dark. If it glows red, run.\n"
        "Third, don’t wake the thing in the lower tunnels.\n\n"
        "Bring back as much as you can carry. Questions? No? Good.",
    ),
    deflections=(
        "I don’t follow. Speak plainly or buy something.",
        "Is that some elvish nonsense? I’m a smith, not a scholar.",
        "Hm? Say that again, slower. My ears are full of hammer.",
        "Whatever that was, the answer is no.",
    ),
    narration=(
        "*The forge roars as Torvald works the bellows.*",
        "*A cart rattles past the open door of the smithy.*",
    ),
    farewells=Topic(
        ("Bye", "See you later", "I have to go", "thanks, goodbye"),
        ("Off with you then. Don’t break anything.", "Safe roads. Come back when it breaks."),
    ),
)

INNKEEPER = Persona(
    openers=(
        "Welcome to the Crooked Lantern! Sit anywhere that isn’t sticky.",
        "Evening, love. Ale, stew, or a bed?",
        "Back again? I kept your usual table.",
    ),
    topics=(
        Topic(
            ("Hi", "Who are you?", "Is this your inn?", "hello there"),
            (
                "Mags Thistlewood. I’ve run the Crooked Lantern for twenty-two years.",
                "I’m Mags, and this is my inn, and those are my rules on the wall.",
            ),
        ),
        Topic(
            ("Do you have a room?", "I need a bed for the night", "How much is a room?"),
            (
                "Five silver a night, breakfast included. The room over the stables is cheaper.",
                "One left, at the top of the stairs. The door sticks; kick it, gently.",
            ),
        ),
        Topic(
            ("What's on the menu?", "I'm hungry", "What food do you have?"),
            (
                "Tonight we’ve got:\n• Mutton stew\n• Black bread and butter\n"
                "• Apple pie (if Jory hasn’t eaten it)\n\nAnd ale, of course. 🍺",
                "Stew. It’s always stew. It’s good stew, though.",
            ),
        ),
        Topic(
            ("Give me an ale", "One beer please", "What do you drink here?"),
            (
                "One ale coming up. That’s two copper, and don’t start a tab.",
                "Try the Thistle Dark. My late husband brewed it. Strong enough to strip paint.",
            ),
        ),
        Topic(
            ("Heard any rumors?", "What's the gossip?", "Anything interesting happening?"),
            (
                "A merchant called Odric rode out for Greywater a week ago and never arrived.",
                "Torvald the smith has been muttering about star-iron. He only mutters when it’s "
                "serious.",
                "They say the old shrine on the mountain rings its bell at midnight. Nobody "
                "rings it.",
            ),
        ),
        Topic(
            ("Where is the blacksmith?", "How do I get to Greywater?", "Which way to the mine?"),
            (
                "Out the door, left at the well, follow the smoke.",
                "Greywater’s two days south. Take the river road, not the forest road.",
            ),
        ),
        Topic(
            ("Who's the bard?", "Play some music", "Is there entertainment tonight?"),
            (
                "That’s Finnick. He knows four songs and plays them all badly.",
                "Music starts at sundown, if Finnick is sober. He is rarely sober.",
            ),
        ),
    ),
    events=(
        Topic(
            ("A brawl breaks out at the corner table.", "Someone smashes a mug."),
            ("OI! Not in my inn! Take it outside!", "That’s coming out of your wages, Jory."),
        ),
        Topic(
            ("The player sits down at the bar.", "It starts raining outside."),
            (
                "What’ll it be, love?",
                "Rain means a full house tonight. Good for business, bad for the floors.",
            ),
        ),
    ),
    triggers=(
        Topic(
            ("MissingMerchant_Start", "Player asks about the missing merchant"),
            ("Odric owes me three months of rent. Find him and I’ll give you a free room.",),
        ),
        Topic(
            ("Player pays for a room",),
            ("Here’s your key. Breakfast is at dawn. Late sleepers get crumbs.",),
        ),
    ),
    monologues=(
        "Twenty-two years I’ve poured ale in this room, and I’ve seen everything. Kings in "
        "disguise, thieves in fancy clothes, a wizard who turned my cat blue (she’s still a bit "
        "blue around the ears). My husband, rest him, built that bar with his own hands from an "
        "oak that fell in the great storm. He used to say an inn is a ship that never leaves port: "
        "everyone comes aboard, tells you where they’re going, and you never see the end of the "
        "journey. So yes, I hear things. And if you’re kind, and you tip, I might tell you some.",
        "House rules, since you asked:\n"
        "1. No fighting.\n2. No magic indoors.\n3. No singing after midnight.\n"
        "4. Pay before you drink.\n\nBreak any of them and you meet my rolling pin.",
    ),
    deflections=(
        "Sorry, love, I didn’t catch that. It’s loud in here.",
        "You’ve had enough ale, I think.",
        "I’ll pretend I didn’t hear that.",
        "Is that a foreign tongue? We get all sorts in here.",
    ),
    narration=(
        "*The fire crackles and someone laughs at a far table.*",
        "[System] The player has rested and recovered full health.",
    ),
    farewells=Topic(
        ("Goodbye", "Good night", "bye mags", "I'm leaving"),
        ("Mind the step on your way out!", "Sleep well, love. Don’t let the bedbugs bite."),
    ),
)

MUSEUM_GUIDE = Persona(
    openers=(
        "Hi there, Welcome to the History Museum. We have the most ancient fossil ever "
        "discovered. Would be interesting in taking a tour?",
        "Good afternoon! The dinosaur hall is open, and the Egyptian wing reopens today.",
        "Hello! Let me know if you’d like a guided tour.",
    ),
    topics=(
        Topic(
            ("Hi there", "Who are you?", "Are you a guide?", "hello"),
            (
                "I’m Ada Whitcombe, one of the guides here at the History Museum.",
                "I’m Ada! I’ve been a guide here for six years and I still get excited.",
            ),
        ),
        Topic(
            ("Tell me about the fossil", "What's the oldest thing here?", "Is the fossil real?"),
            (
                "Our oldest fossil is a stromatolite, about 3.5 billion years old. It’s real!",
                "The star of the collection is ‘Big Martha’, a Triceratops skull found in 1911.",
                "Yes, it’s real. The T. rex in the main hall is a cast; the skull is original.",
            ),
        ),
        Topic(
            ("Yes, I'd like a tour", "Can you show me around?", "Start the tour"),
            (
                "Wonderful! We’ll start with the dinosaur hall, then the Egyptian wing.",
                "Follow me, please. Stay behind the rope and don’t touch the mummies.",
            ),
        ),
        Topic(
            ("When do you close?", "What are the opening hours?", "How much are tickets?"),
            (
                "Opening hours:\nMonday–Friday: 9:00–17:00\nSaturday: 10:00–18:00\nSunday: closed",
                "Tickets are $15 for adults, $8 for children, and free on the first Sunday.",
            ),
        ),
        Topic(
            ("Where is the bathroom?", "Where's the gift shop?", "Is there a café?"),
            (
                "Restrooms are past the elephant skeleton, on your left.",
                "The gift shop is by the exit. The plush trilobites are very popular.",
            ),
        ),
        Topic(
            ("Tell me about the Egyptian wing", "Are the mummies real?", "Who was Nefertari?"),
            (
                "The Egyptian wing holds over 400 objects, including two mummified cats.",
                "Nefertari was the great royal wife of Ramesses II. Her tomb is stunning.",
            ),
        ),
        Topic(
            ("Can I take photos?", "Can I touch it?", "is flash ok"),
            (
                "Photos are fine, but please no flash. It damages the pigments.",
                "Please don’t touch the exhibits. Oils from our hands harm them.",
            ),
        ),
    ),
    events=(
        Topic(
            ("The lights in the dinosaur hall flicker.", "A school group enters the hall."),
            (
                "Oh! Don’t worry, that happens during storms.",
                "Here come the students. Let’s move ahead of them.",
            ),
        ),
        Topic(
            ("The player touches the glass case.",),
            ("Please step back from the case, the alarm is very sensitive.",),
        ),
    ),
    triggers=(
        Topic(
            ("Visitor enters the Hall of Fossils", "EnterHall_Fossils"),
            ("Welcome to the Hall of Fossils! Everything here is older than the Alps.",),
        ),
        Topic(
            ("TourComplete", "Visitor finishes the guided tour"),
            ("That’s the end of the tour! I hope you enjoyed it. The gift shop is this way.",),
        ),
    ),
    monologues=(
        "The story of Big Martha is my favourite. In the summer of 1911, a rancher in Montana "
        "noticed a horn sticking out of a dry creek bed after a flash flood. He wrote to the "
        "museum, and it took the expedition four months to free the skull from the sandstone, "
        "working with dental picks and brushes. They moved it on a wagon pulled by six horses, and "
        "then by train across the country. When it arrived, the skull was too big for the door, so "
        "they had to remove the frame. That frame is still in the basement, with the dent where "
        "they bumped it. We call it Martha’s door.",
        "Here’s today’s schedule:\n\n10:00 — Dinosaur hall tour\n13:00 — Egyptian wing\n"
        "15:30 — Planetarium show\n\nThe planetarium show is my favourite, honestly.",
    ),
    deflections=(
        "I’m not sure I understand. Would you like to see the fossils?",
        "Hmm, that’s not something I can help with, but the dinosaurs are this way!",
        "Sorry, could you repeat that?",
    ),
    narration=(
        "*The museum lights dim for the evening show.*",
        "[System] The visitor has unlocked the 'Fossil Hunter' badge.",
    ),
    farewells=Topic(
        ("Thanks, bye!", "Goodbye", "I have to go now"),
        ("Thanks for visiting! Come back soon.", "Goodbye! Don’t forget the gift shop."),
    ),
)

SHRINE_KEEPER = Persona(
    openers=(
        "ようこそ、旅の方。Welcome to Kiriyama Shrine.",
        "Ah, a visitor. The mountain is quiet today.",
        "Please, wash your hands at the basin before you approach.",
    ),
    topics=(
        Topic(
            ("Who are you?", "Hello", "Are you a priestess?", "konnichiwa"),
            (
                "I am Hoshino Akari. My family has kept this shrine for eleven generations.",
                "こんにちは。I am the keeper of Kiriyama Shrine.",
            ),
        ),
        Topic(
            ("How do I pray?", "What do I do at the shrine?", "how does this work"),
            (
                "It is simple:\n1. Bow twice.\n2. Clap twice.\n3. Make your wish.\n"
                "4. Bow once more.\n\nThe kami listen best to short wishes.",
                "Toss a coin in the box, ring the bell, then bow and clap. Take your time.",
            ),
        ),
        Topic(
            ("Can I draw a fortune?", "omikuji please", "What's my fortune?"),
            (
                "You drew 大吉, great blessing. Keep it with you.",
                "凶… a bad fortune. Tie it to the pine tree, and leave the bad luck here.",
                "小吉, small blessing. Small blessings are still blessings.",
            ),
        ),
        Topic(
            ("Tell me about the fox", "Is there a kitsune here?", "Who is the kami here?"),
            (
                "The white fox is Inari’s messenger. Some say she walks the steps at dawn.",
                "The kami of this mountain is old and patient. Be patient too.",
            ),
        ),
        Topic(
            ("When is the festival?", "What is the bell for?", "How old is the shrine?"),
            (
                "The autumn festival is on the first full moon of October. Lanterns everywhere.",
                "The shrine was founded in the Kamakura period, about eight hundred years ago.",
                "The bell calls the kami. Ring it once, firmly. Not five times, please.",
            ),
        ),
        Topic(
            ("Can I buy a charm?", "What omamori do you have?"),
            (
                "We have charms for health, safe travel, study, and love. Each is 800 yen.",
                "This one is for safe travel. It suits someone who climbs mountains.",
            ),
        ),
    ),
    events=(
        Topic(
            ("The player rings the shrine bell.", "A white fox appears on the steps."),
            ("The kami has heard you.", "…Did you see it too? Do not follow it."),
        ),
        Topic(
            ("Wind rustles the paper streamers.",),
            ("The mountain is breathing. Rain tomorrow, I think.",),
        ),
    ),
    triggers=(
        Topic(
            ("Festival_Begin", "Player lights the festival lantern"),
            ("The festival has begun! 祭りが始まりました。",),
        ),
        Topic(
            ("Player offers a coin",),
            ("Thank you. May the kami watch over your journey.",),
        ),
    ),
    monologues=(
        "When I was a child, my grandmother told me the story of the fox who saved the village. "
        "A great flood came down the mountain, and a white fox ran from house to house, barking "
        "at every door until the people woke and climbed to the shrine. By morning the village "
        "was gone, but everyone stood here, on these steps, safe. Since then we leave rice for "
        "the fox every evening. Some nights it is gone by dawn. Grandmother said that was the "
        "fox. I used to think it was the crows. Now, I am not so sure.\n\n"
        "昔々、この山には白い狐が住んでいました。",
        "The steps to the shrine number 1,024. Many visitors count them on the way up and lose "
        "count halfway. That is the point, I think: you arrive with an empty head.",
    ),
    deflections=(
        "すみません、よくわかりません。Could you say it another way?",
        "I do not understand, but the kami may.",
        "Hmm. Perhaps you need to sit quietly for a moment.",
    ),
    narration=(
        "*A temple bell tolls somewhere below in the valley.*",
        "Narrator: The incense smoke curls upward and vanishes.",
    ),
    farewells=Topic(
        ("Thank you, goodbye", "arigato", "I should go"),
        ("お気をつけて。Take care on the steps.", "Safe travels. The mountain remembers you."),
    ),
    native_lines=(
        "いらっしゃいませ。ゆっくりしていってください。",
        "この神社は八百年の歴史があります。",
        "おみくじを引いてみませんか？",
        "今日は風が強いですね。",
        "ありがとうございます。",
    ),
    native_rate=0.2,
)

PIRATE_CAPTAIN = Persona(
    openers=("Who let a landlubber on my deck?", "Ahoy! State your business, quick."),
    topics=(
        Topic(
            ("Who are you?", "Are you the captain?", "hello"),
            ("Captain Mirela Voss of the Gilded Gull. Fastest ship on the Saltmarch.",),
        ),
        Topic(
            ("Can I join your crew?", "Do you need sailors?"),
            (
                "Can ye tie a bowline? No? Then ye can scrub the deck.",
                "Aye, if ye don’t mind the rats. And the pay. Mostly the pay.",
            ),
        ),
        Topic(
            ("Where is the treasure?", "Show me the map"),
            ("The map’s in my boot, and my boot’s on my foot. Ye see the problem.",),
        ),
    ),
    events=(Topic(("A storm hits the ship.",), ("All hands! Reef the mainsail!",)),),
    triggers=(Topic(("JoinCrew_Accepted",), ("Welcome aboard, sailor. Don’t fall off.",)),),
    monologues=(
        "I was twelve when I stowed away on a merchant cog bound for the Spice Isles. The cook "
        "found me on the second day and made me peel potatoes until I reached port. I’ve been "
        "at sea ever since, and I still hate potatoes.",
    ),
    deflections=("What? Speak up, the wind’s taking yer words.", "Har. No."),
    narration=("*Waves slap against the hull.*",),
    farewells=Topic(("bye", "farewell"), ("Fair winds, landlubber.",)),
)

LAB_GUIDE = Persona(
    openers=("Welcome to the Discovery Lab! Goggles on, please.",),
    topics=(
        Topic(
            ("Who are you?", "hi"),
            ("I’m Dr. Kwame Mensah. I run the hands-on experiments here.",),
        ),
        Topic(
            ("What experiment today?", "Can we blow something up?"),
            (
                "Today we’re making elephant toothpaste. It foams, it doesn’t explode.",
                "No explosions. Foam, yes. Lots of foam.",
            ),
        ),
    ),
    events=(Topic(("The beaker starts to foam over.",), ("Step back! Isn’t it beautiful?",)),),
    triggers=(Topic(("Experiment_Start",), ("Alright, pour the catalyst, slowly.",)),),
    monologues=(
        "Science is just organised curiosity. You ask a question, you guess an answer, and then "
        "you try very hard to prove yourself wrong. If you can’t, you might be onto something.",
    ),
    deflections=("Interesting hypothesis, but I don’t follow.",),
    narration=("[System] Safety goggles equipped.",),
    farewells=Topic(("bye",), ("Stay curious!",)),
)

QUARTERMASTER = Persona(
    openers=("Supply depot, Halcyon Station. Requisition form first.",),
    topics=(
        Topic(
            ("Who are you?", "hello"),
            ("Quartermaster Bram Okafor. I keep this station fed, fuelled and breathing.",),
        ),
        Topic(
            ("I need oxygen canisters", "Can I get supplies?", "do you have fuel"),
            (
                "Two canisters per crew member per shift. No exceptions.",
                "Fuel’s rationed until the next supply run. Fill out form 7-B.",
            ),
        ),
    ),
    events=(Topic(("The station alarm sounds.",), ("Hull breach drill. Stay calm.",)),),
    triggers=(Topic(("SupplyRun_Arrived",), ("Finally. Help me log the crates.",)),),
    monologues=(
        "People think a quartermaster counts boxes. I count days: how many days of air, of "
        "water, of food. Right now we have forty-one. Ask me again tomorrow.",
    ),
    deflections=("That’s not on any form I know.",),
    narration=("[System] Docking clamps engaged.",),
    farewells=Topic(("bye",), ("Sign out at the hatch.",)),
)

GATE_ATTENDANT = Persona(
    openers=("Welcome to Port Meridian. Please have your boarding pass ready.",),
    topics=(
        Topic(
            ("Where is my gate?", "Which gate?", "help"),
            (
                "Your flight departs from Gate 12. Follow the blue line.",
                "Gate 7 is closed for maintenance. Please proceed to Gate 9.",
            ),
        ),
        Topic(
            ("Is my flight delayed?", "When do we board?"),
            ("Boarding begins thirty minutes before departure.", "No delays are reported."),
        ),
    ),
    events=(Topic(("The departure board updates.",), ("Please check the board for changes.",)),),
    triggers=(Topic(("Tutorial_Start",), ("Hello! I will show you around the spaceport.",)),),
    monologues=(
        "Port Meridian serves over four hundred departures per day across eleven orbital routes. "
        "Please keep your belongings with you at all times.",
    ),
    deflections=("I’m sorry, I did not understand. Please rephrase.",),
    narration=("[System] Announcement: the shuttle to Europa is now boarding.",),
    farewells=Topic(("bye", "thanks"), ("Have a pleasant journey.",)),
)
