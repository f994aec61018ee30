// Names for synthetic UK patients: surnames weighted so that the frequent ones appear about as
// often as in England (SMITH ~1%), with the South Asian, Irish, Polish, West African, Chinese and
// other surnames common in Manchester, and some accented, hyphenated, apostrophe and two-word
// names that exercise string search. Given names by birth cohort.
import { Rng, Weighted } from './prng.js'

// [surname, weight]; the weights sum to about 1000, so weight 10 is about 1%.
const FREQUENT: [string, number][] = [
  ['Smith', 10], ['Jones', 7.5], ['Williams', 5.5], ['Taylor', 5], ['Brown', 5], ['Davies', 4.5], ['Wilson', 3.5],
  ['Evans', 3], ['Thomas', 3], ['Johnson', 3], ['Roberts', 3], ['Patel', 3], ['Robinson', 2.5], ['Thompson', 2.5],
  ['Wright', 2.5], ['Walker', 2.5], ['Khan', 2.5], ['White', 2.3], ['Edwards', 2.3], ['Hughes', 2.3], ['Green', 2.3],
  ['Hall', 2.3], ['Lewis', 2.2], ['Harris', 2.2], ['Clarke', 2.2], ['Jackson', 2.2], ['Wood', 2.1], ['Turner', 2.1],
  ['Martin', 2], ['Cooper', 2], ['Hill', 2], ['Ward', 2], ['Morris', 2], ['Moore', 2], ['Clark', 2], ['Lee', 2],
  ['King', 2], ['Ali', 2], ['Hussain', 2], ['Ahmed', 2], ['Baker', 1.9], ['Harrison', 1.9], ['Morgan', 1.8],
  ['Allen', 1.8], ['James', 1.8], ['Scott', 1.8], ['Phillips', 1.7], ['Watson', 1.7], ['Davis', 1.7], ['Parker', 1.7],
  ['Price', 1.6], ['Bennett', 1.6], ['Young', 1.6], ['Griffiths', 1.6], ['Mitchell', 1.6], ['Kelly', 1.6], ['Cook', 1.5],
  ['Carter', 1.5], ['Richardson', 1.5], ['Bailey', 1.5], ['Collins', 1.5], ['Bell', 1.5], ['Shaw', 1.5], ['Murphy', 1.5],
  ['Miller', 1.5], ['Cox', 1.5], ['Singh', 1.5], ['Begum', 1.5], ['Richards', 1.4], ['Marshall', 1.4], ['Anderson', 1.4],
  ['Simpson', 1.4], ['Ellis', 1.4], ['Adams', 1.4], ['Wilkinson', 1.3], ['Foster', 1.3], ['Chapman', 1.3], ['Powell', 1.3],
  ['Webb', 1.3], ['Rogers', 1.3], ['Gray', 1.3], ['Mason', 1.3], ['Hunt', 1.2], ['Campbell', 1.2], ['Matthews', 1.2],
  ['Owen', 1.2], ['Palmer', 1.2], ['Holmes', 1.2], ['Mills', 1.2], ['Barnes', 1.2], ['Knight', 1.2], ['Lloyd', 1.2],
  ['Butler', 1.2], ['Russell', 1.2], ['Barker', 1.2], ['Fisher', 1.2], ['Stevens', 1.2], ['Jenkins', 1.2], ['Murray', 1.2],
  ['Dixon', 1.2], ['Harvey', 1.2], ['Akhtar', 1], ['Iqbal', 0.8], ['Shah', 0.8], ['Mohamed', 0.8], ['O\'Brien', 0.8],
  ['McDonald', 0.8], ['O\'Connor', 0.7], ['O\'Neill', 0.7], ['Mahmood', 0.6], ['Rahman', 0.6], ['Kaur', 0.6], ['Doyle', 0.6],
  ['Byrne', 0.6], ['Islam', 0.5], ['Nowak', 0.4], ['Chen', 0.4], ['Wang', 0.4], ['Li', 0.4], ['Kowalski', 0.3],
  ['Nguyen', 0.3], ['Okafor', 0.3], ['Adeyemi', 0.3], ['Mensah', 0.3], ['Abdi', 0.3], ['Yusuf', 0.3], ['MacLeod', 0.3],
  ['Wiśniewski', 0.2], ['Kowalczyk', 0.2], ['Osei', 0.2], ['Zieliński', 0.15], ['Núñez', 0.1], ['Gonçalves', 0.1],
  ['Müller', 0.1], ['Lefèvre', 0.1], ['Ó Briain', 0.1], ['De Souza', 0.1], ['Lloyd-Jones', 0.1], ['Taylor-Brown', 0.1],
  ['Fernández', 0.1], ['Dvořák', 0.05], ['Søndergaard', 0.05],
]

// Less frequent surnames, each at the same small weight (the long tail).
const TAIL = `Ainsworth Alexander Armstrong Ashton Atkinson Austin Bainbridge Ball Banks Barlow Barrett Barton Bates Baxter
Beattie Berry Birch Bird Bishop Black Blackburn Booth Bolton Bond Bradley Bradshaw Brady Brennan Briggs Brooks Buckley
Bullock Burgess Burke Burns Burton Butterworth Byrne Cartwright Chadwick Chambers Charlton Clayton Clements Coates Cole
Coleman Connolly Conway Cross Crossley Cunningham Curtis Dale Daniels Dawson Day Dean Dennis Doherty Donnelly Douglas
Duffy Duncan Dunn Eccles Farrell Fitzgerald Fletcher Flynn Ford Fowler Fox Francis Fraser Gallagher Gardner Garner George
Gibbons Gibson Gilbert Gill Goodwin Gordon Graham Grant Greenwood Gregory Hamilton Hammond Hancock Hardy Hargreaves
Harper Hart Hartley Hayes Haynes Heath Henderson Hewitt Higgins Hodgson Holden Holland Hopkins Horton Howard Howarth
Hudson Hulme Hunter Hurst Hutchinson Jackson Jarvis Johnston Jordan Kay Kennedy Kent Kerr Kirk Lamb Lambert Lane
Lawrence Lawson Leach Little Lomax Lord Lowe Lynch Mann Marsden Mather May McCarthy McGrath McKenna Mellor Middleton
Miles Moran Moss Naylor Nelson Newton Nicholson Noble Norris Nuttall O'Donnell O'Sullivan Ogden Oliver Osborne Page
Parkinson Parry Parsons Payne Pearce Pearson Perkins Perry Pickering Pilling Pollard Poole Porter Potter Pratt Preston
Quinn Ramsden Randall Read Reid Reynolds Rhodes Riley Rigby Ross Rowe Rowley Ryan Sanderson Saunders Schofield Sharpe
Shepherd Short Slater Spencer Stanley Stephenson Stewart Stone Storey Sutton Swift Tattersall Thornton Todd Tomlinson
Townsend Tyler Vaughan Wainwright Wallace Walsh Walton Warburton Warren Waters Watkins Watts Webster Welsh West Whitehead
Whittaker Wilde Wilkins Willis Winstanley Woodward Yates Aziz Bibi Butt Chaudhry Hanif Haq Javed Malik Mirza Nawaz
Qureshi Raza Riaz Saleem Sharif Sultan Tariq Zaman Mistry Chauhan Parmar Solanki Desai Joshi Gupta Sharma Kumar Das
Chowdhury Uddin Miah Hassan Ibrahim Omar Farah Warsame Okonkwo Eze Adebayo Oyelaran Boateng Owusu Asante Kamara Bangura
Wójcik Kamiński Lewandowski Szymański Dąbrowski Popescu Ionescu Zhang Liu Huang Wu Zhou Tran Kim Park Rossi Costa Silva
Santos Pereira Rodríguez García Martínez López Sánchez Pérez González Kovačević Novák`
  .split(/\s+/)
  .filter((name) => name && !FREQUENT.some(([frequent]) => frequent === name))

const FREQUENT_TOTAL = FREQUENT.reduce((sum, [, w]) => sum + w, 0)
const TAIL_WEIGHT = (1000 - FREQUENT_TOTAL) / TAIL.length

export const SURNAMES = new Weighted<string>([...FREQUENT, ...TAIL.map((name) => [name, TAIL_WEIGHT] as [string, number])])

type Cohort = 'older' | 'middle' | 'younger'

const GIVEN: Record<'male' | 'female', Record<Cohort, string[]>> = {
  male: {
    older: `John David Michael Peter Robert Brian Alan Kenneth Ronald Derek Dennis Keith Roy Raymond Frank George Arthur
      William James Thomas Eric Harold Stanley Albert Terence Barry Colin Geoffrey Malcolm Trevor Anthony Patrick Seán
      Bernard Gordon Norman Leslie Mohammed Abdul Gurdev Tadeusz Desmond Winston`.split(/\s+/),
    middle: `Paul Mark David Andrew Stephen Richard Christopher Darren Lee Jason Craig Gary Kevin Neil Ian Simon Matthew
      Daniel Jonathan Martin Wayne Carl Mohammed Imran Asif Tariq Rajesh Gareth Rhys Dylan José Piotr Tomasz Shaun Dean
      Anthony Graham Nadeem Kwame Emeka Chukwuemeka Hao Ciarán`.split(/\s+/),
    younger: `Oliver George Harry Jack Noah Charlie Jacob Alfie Freddie Oscar Leo Muhammad Mohammed Yusuf Ibrahim Hamza
      Adam Zain Arjun Aarav Thomas James Joshua Samuel Daniel Ethan Liam Kai Reuben Tomás José Kacper Wei Kwame Chidi
      Ayaan Musa Theo Finley Rory Elijah Mateo Jakub`.split(/\s+/),
  },
  female: {
    older: `Margaret Mary Patricia Susan Jean Joan Dorothy Barbara Elizabeth Joyce Sheila Brenda Pauline Irene Doris
      Betty Maureen Valerie Christine Kathleen Eileen Sylvia Audrey Linda Janet Ann Marjorie Gwendolyn Siân Bridget
      Edna Hilda Vera Gladys Rita Shirley Carol Wendy Gloria Parveen Nasreen Krystyna`.split(/\s+/),
    middle: `Julie Karen Sarah Claire Nicola Michelle Lisa Emma Louise Joanne Helen Rachel Amanda Kerry Donna Angela
      Samantha Rebecca Laura Nadia Shazia Yasmin Farah Siân Zoë Renée Agnieszka Małgorzata Aoife Niamh Chioma Tracey
      Gemma Natalie Kelly Victoria Catherine Sadia Ngozi Mei Bethan`.split(/\s+/),
    younger: `Olivia Amelia Isla Ava Mia Emily Sophie Grace Lily Freya Isabella Poppy Evie Ella Chloe Zoë Chloë Siân
      Aoife Niamh Fatima Aisha Maryam Zainab Hafsa Amira Priya Anaya Maja Zuzanna Mei Adaeze Renée Eloïse Ruby
      Florence Willow Hannah Jessica Ellie Chiamaka Noor`.split(/\s+/),
  },
}

const NEUTRAL = ['Alex', 'Sam', 'Charlie', 'Jordan', 'Robin', 'Jamie', 'Morgan', 'Riley', 'Ashley', 'Kit', 'Nico']

function cohort(birthYear: number): Cohort {
  if (birthYear < 1960) return 'older'
  if (birthYear < 1990) return 'middle'
  return 'younger'
}

function clean(list: string[]): string[] {
  return list.filter(Boolean)
}

export interface PersonName {
  family: string
  given: string[]
  prefix?: string
}

export function personName(rng: Rng, gender: string, birthYear: number, ageYears: number): PersonName {
  const family = SURNAMES.pick(rng)
  const list =
    gender === 'male' || gender === 'female' ? clean(GIVEN[gender][cohort(birthYear)]) : NEUTRAL
  const given = [rng.pick(list)]
  if (rng.chance(0.35)) {
    const middle = rng.pick(list)
    if (middle !== given[0]) given.push(middle)
  }
  const name: PersonName = { family, given }
  if (ageYears >= 18) {
    if (rng.chance(0.01)) name.prefix = 'Dr'
    else if (gender === 'male') name.prefix = 'Mr'
    else if (gender === 'female') name.prefix = rng.pick(['Mrs', 'Mrs', 'Ms', 'Miss'])
    else name.prefix = 'Mx'
  }
  return name
}

/** Lower-case ASCII form for e-mail addresses: accents and punctuation dropped. */
export function asciiSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/ø/g, 'o')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
}
