"""Very common passwords of 12 characters or more, refused at sign-up and at every password change (ASVS 2.1.7).

Taken from the tops of public leaked-password lists (English and French), kept to what the 12-character minimum
lets through, lower case. ``COMMON_WORDS`` are the roots people pad with digits and symbols to reach the length
(« motdepasse2026! »): a password made of one of them plus digits and symbols only is refused too.
"""

from __future__ import annotations

_COMMON_PASSWORDS_TEXT = """
    123456789012 1234567890123 12345678901234 123456789000 123456789123 123123123123 123412341234
    111111111111 000000000000 112233445566 121212121212 147258369147 987654321098 098765432109
    0123456789ab 1234567890ab 1234567890abc abc123456789 abcdef123456 123456abcdef 12345678abcd
    abcdefghijkl abcdefghijklm abcdefghijklmnop abcd1234abcd 1234abcd1234
    qwertyuiop12 qwertyuiop123 qwertyuiop1234 qwertyuiopasdf qwertyuiopasdfgh qwerty123456 qwerty1234567
    qwerty123456789 123456qwerty 1234567890qwerty qwertyqwerty qwerty12345678 qwer1234asdf 1234qwerasdf
    1qaz2wsx3edc 1qaz2wsx3edc4rfv 1qazxsw23edc zaq12wsxcde3 qazwsxedcrfv qazwsxedc123 !qaz2wsx#edc
    1q2w3e4r5t6y 1q2w3e4r5t6y7u 1q2w3e4r5t6y7u8i q1w2e3r4t5y6 123qweasdzxc zxcvbnm12345 asdfghjkl123
    azertyuiop12 azertyuiop123 azertyuiop1234 azertyuiopqs azertyuiopqsd azertyuiopqsdf azertyuiopqsdfghjklm
    azerty123456 azerty1234567 azerty12345678 azerty123456789 123456azerty azertyazerty a1z2e3r4t5y6
    password1234 password12345 password123456 password1234567 passw0rd1234 p@ssw0rd1234 p@ssword1234
    password2024 password2025 password2026 passwordpassword mypassword123 thisismypassword
    motdepasse12 motdepasse123 motdepasse1234 motdepasse12345 motdepasse2024 motdepasse2025 motdepasse2026
    motdepasse!! motdepasse123! mot2passe1234 motdepassemotdepasse monmotdepasse monmotdepasse1
    iloveyou1234 iloveyou12345 princess1234 sunshine1234 football1234 baseball1234 superman1234 starwars1234
    welcome12345 welcome123456 letmein12345 changeme1234 administrator administrateur admin1234567
    monkey123456 dragon123456 master123456 shadow123456 michael12345 jennifer1234 computer1234 internet1234
    whatever1234 trustno12345 basketball12 baseball12345 football12345 liverpool123 manchester12
    jetaime123456 jetaimemoi123 jetaimemoi1234 bonjour12345 bonjour123456 bienvenue123 bienvenue1234
    bienvenue2024 bienvenue2025 bienvenue2026 soleil123456 doudou123456 chouchou1234 loulou123456
    coucou123456 nicolas12345 marseille1313 marseille2024 olympiquedemarseille parisienne12 psgpsgpsgpsg
    toulouse31000 lyonlyonlyon
    passerelle12 passerelle123 passerelle1234 passerelle2024 passerelle2025 passerelle2026
    correcthorsebatterystaple
"""

_COMMON_WORDS_TEXT = """
    password passw0rd p@ssw0rd p@ssword motdepasse mdp motdepass monmotdepasse azerty azertyuiop qwerty
    qwertyuiop iloveyou jetaime jetaimemoi bonjour bienvenue soleil doudou chouchou loulou coucou
    admin administrateur administrator welcome letmein changeme secret passerelle marseille
    paris lyon toulouse football princess sunshine superman starwars
"""

COMMON_PASSWORDS = frozenset(_COMMON_PASSWORDS_TEXT.split())
COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
